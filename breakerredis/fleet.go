package breakerredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/redis/go-redis/v9"
)

// Fleet is a breaker whose state is shared through Redis by every replica
// that creates one with the same client (or Redis), Prefix and name. Use
// its Breaker as any breaker.Breaker. Close stops its background
// goroutine.
type Fleet struct {
	b  *breaker.Breaker
	st *state
}

// New returns a breaker called name, configured by s, whose state is shared
// on Redis through client under the keys that o.Prefix and name make. It
// returns an error naming the first bad field of s or o; it does not fail
// when Redis is unreachable (the breaker then starts in local mode and joins
// the shared state when Redis answers).
//
// New reads the shared state once (bounded by o.Timeout) and starts one
// goroutine that synchronizes it every o.SyncInterval until Close.
// s.Shared must be nil: New sets it.
func New(client redis.UniversalClient, name string, s breaker.Settings, o Options) (*Fleet, error) {
	if client == nil {
		return nil, errors.New("breakerredis: client is nil")
	}
	if s.Shared != nil {
		return nil, fmt.Errorf("breakerredis %s: Settings.Shared is set; New sets it", name)
	}
	// Resolve the defaults the scripts need as breaker.New will.
	if s.FailureThreshold == 0 {
		s.FailureThreshold = breaker.DefaultFailureThreshold
	}
	if s.OpenTimeout == 0 {
		s.OpenTimeout = breaker.DefaultOpenTimeout
	}
	if s.HalfOpenRequests == 0 {
		s.HalfOpenRequests = breaker.DefaultHalfOpenRequests
	}
	o, err := o.normalize(s.OpenTimeout)
	if err != nil {
		return nil, fmt.Errorf("breakerredis %s: %w", name, err)
	}
	// An empty name is breaker.New's to reject.
	if base := o.Prefix + "{" + name + "}"; name != "" && hashTag(base+":state") != hashTag(base+":trials") {
		return nil, fmt.Errorf("breakerredis %s: Options.Prefix %q and the name make an empty hash tag {}: "+
			"on a Redis Cluster the two keys would be in different slots", name, o.Prefix)
	}
	st := newState(client, name, s, o)
	s.Shared = st
	b, err := breaker.New(name, s)
	if err != nil {
		return nil, fmt.Errorf("breakerredis: %w", err)
	}
	st.start()
	return &Fleet{b: b, st: st}, nil
}

// Breaker returns the breaker, whose Do, Call, Check and Guard work as
// documented in package breaker, with the state shared.
func (f *Fleet) Breaker() *breaker.Breaker { return f.b }

// Close stops the background synchronization, gives back to the fleet the
// recovery trials that calls still in flight hold (their verdicts are then
// dropped), and waits for Redis operations in flight, which the client's
// own timeouts bound; no Redis operation starts after it. The breaker
// then stays in its last mode without syncing; do not use it after Close.
// Close the client after Close. Close is idempotent.
func (f *Fleet) Close() error {
	f.st.close()
	return nil
}

// Keys returns the Redis keys of the shared state: a hash with the state
// and a sorted set of recovery trials in flight. Both expire.
func (f *Fleet) Keys() []string { return []string{f.st.keys[0], f.st.keys[1]} }

// Mode is whether a Fleet breaker uses the shared state.
type Mode string

// The modes.
const (
	// Shared: Redis answers; the fleet's state decides.
	Shared Mode = "shared"
	// Local: Redis did not answer within Options.Timeout; each replica's
	// breaker decides alone until Redis answers again.
	Local Mode = "local"
)

// Stats are counters of a Fleet breaker's use of Redis, for metrics.
type Stats struct {
	// Mode is the current mode.
	Mode Mode
	// Operations counts the Redis round trips made.
	Operations uint64
	// Errors counts those that failed or timed out.
	Errors uint64
	// LocalSince is when the breaker last fell back to local mode;
	// zero while shared.
	LocalSince time.Time
}

// Stats returns the breaker's counters. It never blocks on Redis.
func (f *Fleet) Stats() Stats {
	st := f.st
	s := Stats{Mode: Shared, Operations: st.ops.Load(), Errors: st.errs.Load()}
	if !st.up.Load() {
		s.Mode = Local
		if t := st.localSince.Load(); t != nil {
			s.LocalSince = *t
		}
	}
	return s
}

// errClosed is the error of a Redis operation asked for after Close.
var errClosed = errors.New("breaker closed")

// errTimeout is the error of a Redis operation abandoned after Timeout.
var errTimeout = errors.New("no answer within the timeout")

// do runs op against Redis on a goroutine of its own, and waits for it at
// most o.Timeout, and not past the caller's ctx: a client whose own
// timeouts are longer, or that ignores contexts, never makes a call wait
// longer. An op
// abandoned that way still finishes; late, if not nil, then runs to undo
// what it did. st.wg tracks the goroutine, and close waits for it.
func (st *state) do(caller context.Context, op func(context.Context) error, late func()) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(caller), st.o.Timeout)
	var (
		mu        sync.Mutex
		finished  bool
		abandoned bool
		result    error
	)
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		cancel()
		return errClosed
	}
	st.wg.Add(1) // under mu, so never concurrently with close's Wait
	st.mu.Unlock()
	done := make(chan struct{})
	st.ops.Add(1)
	go func() {
		defer st.wg.Done()
		defer cancel()
		err := op(ctx)
		mu.Lock()
		finished, result = true, err
		lateToo := abandoned && err == nil && late != nil
		mu.Unlock()
		close(done)
		if lateToo {
			late()
		}
	}()
	var err error
	select {
	case <-done:
		err = result
	case <-ctx.Done():
		err = st.abandon(&mu, &finished, &abandoned, &result, errTimeout)
	case <-caller.Done():
		// The caller gave up: no fault of Redis, not counted as one.
		return st.abandon(&mu, &finished, &abandoned, &result, fmt.Errorf("%w: %w", errCallerGone, caller.Err()))
	}
	if err != nil {
		st.errs.Add(1)
	}
	return err
}

// abandon returns the result of an op that finished, or else marks it
// abandoned (so that its late undo runs) and returns why.
func (*state) abandon(mu *sync.Mutex, finished, abandoned *bool, result *error, why error) error {
	mu.Lock()
	defer mu.Unlock()
	if *finished {
		return *result
	}
	*abandoned = true
	return why
}

// errCallerGone is the error of a Redis operation whose caller's context
// ended first.
var errCallerGone = errors.New("the call's context ended")

// token returns the owner token of the recovery trial with ticket n:
// unique to this replica and this trial, so that only its owner can end it.
func (st *state) token(n uint64) string {
	return st.id + ":" + strconv.FormatUint(n, 10)
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
