package breakerredis

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Options configures the shared state of a Fleet breaker. The zero value
// of every field but Prefix means its documented default; New rejects bad
// values with an error naming the field.
type Options struct {
	// Prefix namespaces the keys: every key starts with it (see Keys).
	// Required, so that two services, or two tests, on one Redis never
	// share a breaker by accident; end it with a separator, e.g. "orders:".
	// It may hold a Redis Cluster hash tag ("{orders}:"), never an empty
	// one ("{}"), which would split the breaker's keys across slots.
	Prefix string

	// Timeout bounds every Redis operation the breaker makes. A call
	// waits on Redis only to claim or end a recovery trial, and never
	// longer than this: past it the breaker falls back to local mode.
	// Default: 50ms.
	Timeout time.Duration

	// SyncInterval is how often each replica reads the shared state, and
	// so bounds how late it sees the fleet's breaker open or close (a
	// replica's own failures are pushed at once). Each replica costs
	// Redis one script call per interval. Default: 50ms.
	SyncInterval time.Duration

	// TrialTimeout is how long a claimed recovery trial holds its
	// fleet-wide slot at most: a replica that dies during a trial blocks
	// the others' trials no longer than this. Make it longer than a call
	// may take. Default: 10s.
	TrialTimeout time.Duration

	// KeyTTL is how long the shared state lives after its last write.
	// It must exceed the breaker's OpenTimeout. Default: 24h.
	KeyTTL time.Duration

	// Logger receives the changes between shared and local mode when
	// breaker.Settings.Notify is nil (otherwise they go to Notify, which
	// a core.Registry logs once). Default: slog.Default().
	Logger *slog.Logger
}

// The defaults of Options.
const (
	DefaultTimeout      = 50 * time.Millisecond
	DefaultSyncInterval = 50 * time.Millisecond
	DefaultTrialTimeout = 10 * time.Second
	DefaultKeyTTL       = 24 * time.Hour
)

func (o Options) normalize(openTimeout time.Duration) (Options, error) {
	if o.Prefix == "" {
		return o, errors.New("Options.Prefix is empty")
	}
	for _, d := range []struct {
		field string
		v     *time.Duration
		def   time.Duration
	}{
		{"Timeout", &o.Timeout, DefaultTimeout},
		{"SyncInterval", &o.SyncInterval, DefaultSyncInterval},
		{"TrialTimeout", &o.TrialTimeout, DefaultTrialTimeout},
		{"KeyTTL", &o.KeyTTL, DefaultKeyTTL},
	} {
		if *d.v < 0 {
			return o, fmt.Errorf("Options.%s is negative (%v)", d.field, *d.v) //nolint:staticcheck // starts with the field name, as the other option errors here; New adds the package prefix
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.KeyTTL <= openTimeout {
		return o, fmt.Errorf("Options.KeyTTL (%v) does not exceed the OpenTimeout (%v)", o.KeyTTL, openTimeout)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}
