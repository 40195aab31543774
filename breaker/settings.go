package breaker

import (
	"fmt"
	"math"
	"time"

	"github.com/probekit/probekit/core"
)

// Settings configures a Breaker. The zero value of every field means its
// documented default; New rejects bad values with an error naming the field.
type Settings struct {
	// FailureThreshold is how many consecutive failed calls open (trip) the
	// breaker; each attempt of Do and Call, retries included, is a call.
	// Consecutive rather than a failure ratio because it needs no window to
	// tune and reacts to a dead dependency within a few calls whatever the
	// traffic. Default: 5.
	FailureThreshold int

	// OpenTimeout is how long the breaker stays open, failing calls at once
	// without calling the dependency, before it lets trial calls through
	// (half-open). Default: 30s, a few readiness periods: long enough not to
	// hammer a dependency that is down, short enough to notice it is back.
	OpenTimeout time.Duration

	// HalfOpenRequests is how many trial calls the half-open breaker lets
	// through at a time. That many consecutive successes close it; a single
	// failure opens it again. Calls beyond it fail with ErrTooManyRequests.
	// Default: 1.
	HalfOpenRequests int

	// IsSuccessful reports whether a non-nil error is an answer from a
	// working dependency (sql.ErrNoRows, an HTTP 404) rather than a failure
	// of it. Such errors count as successes and are never retried. Default:
	// every non-nil error is a failure, except that a call whose context was
	// canceled counts as neither success nor failure (the caller went away;
	// that says nothing about the dependency). A deadline that expires does
	// count as a failure: a dependency that is too slow is failing.
	IsSuccessful func(err error) bool

	// Retry is the retry policy of Do and Call. Guard never retries.
	Retry Retry

	// Notify, if set, receives every state change of the breaker, in order,
	// with Component "breaker". Pass the Notify method of a core.Registry
	// (Settings{Notify: h.Notify}) to have each change logged once and seen
	// by the registry's observers. It is called outside the breaker's locks,
	// on the goroutine of a call or State that noticed the change; it should
	// not block for long.
	Notify func(core.Transition)

	// Shared, if set, is state shared with the other replicas of the
	// service (see SharedState; module breakerredis builds one on Redis):
	// failures of every replica count together, an open breaker is open in
	// all of them, and recovery trials are limited fleet-wide. While it is
	// unreachable the breaker runs on its own. Default: none, the breaker
	// is local to the process.
	Shared SharedState
}

// Retry is the retry policy of Do and Call: exponential backoff with full
// jitter. Before retry k (k = 1, 2, ...) the call waits a random duration in
// [0, min(MaxInterval, InitialInterval·2^(k-1))]. Only retryable errors are
// retried (see Retryable). A wait that would end after MaxElapsed, or after
// the context's deadline, is not begun: the last error is returned at once.
//
// The zero value of each field means its default. Set MaxAttempts to 1 to
// turn retries off.
type Retry struct {
	// MaxAttempts bounds the calls of the function, the first one included.
	// Default: 3.
	MaxAttempts int

	// InitialInterval is the upper bound of the first wait; each later
	// bound doubles, up to MaxInterval. Default: 100ms.
	InitialInterval time.Duration

	// MaxInterval caps every wait. Default: 2s.
	MaxInterval time.Duration

	// MaxElapsed bounds the time spent retrying: from the end of the first
	// attempt to the start of the last one. (It does not include the first
	// attempt, so that a call that succeeds at once need not read the clock;
	// bound the whole call with the context's deadline.) Default: 10s.
	MaxElapsed time.Duration

	// Retryable reports whether a failed call may be retried. It is asked
	// only about errors that are not already final: errors marked with
	// Permanent, the breaker's own ErrOpen and ErrTooManyRequests (from this
	// or a nested breaker), errors that IsSuccessful accepts, and any error
	// once the context is done are never retried, whatever Retryable says.
	// Default: every other error is retried.
	Retryable func(err error) bool
}

// The defaults of Settings and Retry.
const (
	DefaultFailureThreshold = 5
	DefaultOpenTimeout      = 30 * time.Second
	DefaultHalfOpenRequests = 1

	DefaultMaxAttempts     = 3
	DefaultInitialInterval = 100 * time.Millisecond
	DefaultMaxInterval     = 2 * time.Second
	DefaultMaxElapsed      = 10 * time.Second
)

// normalize validates s and fills in its defaults. It never panics.
func (s Settings) normalize() (Settings, error) {
	for _, n := range []struct {
		field string
		v     int
	}{
		{"FailureThreshold", s.FailureThreshold},
		{"HalfOpenRequests", s.HalfOpenRequests},
		{"Retry.MaxAttempts", s.Retry.MaxAttempts},
	} {
		if n.v < 0 {
			return s, fmt.Errorf("Settings.%s is negative (%d)", n.field, n.v) //nolint:staticcheck // ST1005: the message starts with the Go name of the field it is about
		}
		if n.v > math.MaxUint32 {
			return s, fmt.Errorf("Settings.%s is too large (%d)", n.field, n.v) //nolint:staticcheck // ST1005: the message starts with the Go name of the field it is about
		}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"OpenTimeout", s.OpenTimeout},
		{"Retry.InitialInterval", s.Retry.InitialInterval},
		{"Retry.MaxInterval", s.Retry.MaxInterval},
		{"Retry.MaxElapsed", s.Retry.MaxElapsed},
	} {
		if d.v < 0 {
			return s, fmt.Errorf("Settings.%s is negative (%v)", d.field, d.v) //nolint:staticcheck // ST1005: the message starts with the Go name of the field it is about
		}
	}
	if s.FailureThreshold == 0 {
		s.FailureThreshold = DefaultFailureThreshold
	}
	if s.OpenTimeout == 0 {
		s.OpenTimeout = DefaultOpenTimeout
	}
	if s.HalfOpenRequests == 0 {
		s.HalfOpenRequests = DefaultHalfOpenRequests
	}
	r := &s.Retry
	if r.MaxAttempts == 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.InitialInterval == 0 {
		r.InitialInterval = DefaultInitialInterval
	}
	if r.MaxInterval == 0 {
		r.MaxInterval = max(DefaultMaxInterval, r.InitialInterval)
	}
	if r.MaxElapsed == 0 {
		r.MaxElapsed = DefaultMaxElapsed
	}
	if r.MaxInterval < r.InitialInterval {
		return s, fmt.Errorf("Settings.Retry.MaxInterval (%v) is below Retry.InitialInterval (%v)", r.MaxInterval, r.InitialInterval)
	}
	return s, nil
}
