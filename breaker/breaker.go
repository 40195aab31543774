package breaker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/sony/gobreaker/v2"
)

// State is a breaker's state: StateClosed, StateHalfOpen or StateOpen. Its
// String method returns "closed", "half-open" or "open".
type State = gobreaker.State

// The breaker states.
const (
	// StateClosed: calls go through; failures are counted.
	StateClosed = gobreaker.StateClosed
	// StateHalfOpen: after OpenTimeout, up to HalfOpenRequests trial calls
	// go through to find out whether the dependency is back.
	StateHalfOpen = gobreaker.StateHalfOpen
	// StateOpen: calls fail at once with ErrOpen, without calling the
	// dependency.
	StateOpen = gobreaker.StateOpen
)

// Errors returned, wrapped, for calls the breaker rejects without making
// them; test with errors.Is. They are gobreaker's own, so errors.Is also
// matches gobreaker.ErrOpenState and gobreaker.ErrTooManyRequests.
var (
	// ErrOpen: the breaker is open.
	ErrOpen = gobreaker.ErrOpenState
	// ErrTooManyRequests: the breaker is half-open and already has
	// HalfOpenRequests trial calls in flight.
	ErrTooManyRequests = gobreaker.ErrTooManyRequests
)

// Breaker is a circuit breaker for one dependency, with the retry policy of
// its Do and Call. It is safe for concurrent use and starts no goroutines.
//
// Closed, it lets calls through and counts consecutive failures; at
// FailureThreshold it opens and fails every call at once with ErrOpen. After
// OpenTimeout it is half-open: HalfOpenRequests trial calls go through, and
// as many successes close it while one failure opens it again. Like
// gobreaker's, the change from open to half-open happens lazily, when a
// call, State or a health check next looks at the breaker.
type Breaker struct {
	name      string
	cb        *gobreaker.CircuitBreaker[struct{}]
	threshold uint32
	trials    uint32
	retry     Retry
	success   func(error) bool                  // Settings.IsSuccessful, may be nil
	notify    func(core.Transition)             // Settings.Notify, may be nil
	jitter    func(time.Duration) time.Duration // full jitter; replaced by tests
	errOpen   *RejectedError                    // ErrOpen with the name, made once
	errBusy   *RejectedError                    // ErrTooManyRequests likewise
	shared    SharedState                       // Settings.Shared, may be nil

	// pending is set while log.pending holds transitions not yet delivered,
	// so that calls check for them with one atomic load.
	pending atomic.Bool

	// mu guards log. It is taken inside gobreaker's own lock (ReadyToTrip
	// and OnStateChange run under it), so it must never be held while
	// calling into cb.
	mu  sync.Mutex
	log history

	// notifyMu serializes deliveries, so Notify sees transitions in the
	// order they happened.
	notifyMu sync.Mutex
}

// history is what a breaker remembers to explain its state.
type history struct {
	state        State
	since        time.Time // when state was entered
	openedAt     time.Time // when it last tripped from closed; zero while closed
	tripFailures uint32    // the consecutive failures that tripped it
	failedTrials int       // half-open trials that failed since openedAt
	lastErr      error     // the latest failure, as readFailure kept it
	lastReason   string    // core.Reason(lastErr), read once by readFailure
	pending      []core.Transition
}

// New returns a breaker for the dependency called name, configured by s, or
// an error naming the first bad field of s. The name appears in errors,
// health messages and transitions.
func New(name string, s Settings) (*Breaker, error) {
	if name == "" {
		return nil, errors.New("breaker: name is empty")
	}
	s, err := s.normalize()
	if err != nil {
		return nil, fmt.Errorf("breaker %s: %w", name, err)
	}
	b := &Breaker{
		name:      name,
		threshold: uint32(s.FailureThreshold),
		trials:    uint32(s.HalfOpenRequests),
		retry:     s.Retry,
		success:   s.IsSuccessful,
		notify:    s.Notify,
		shared:    s.Shared,
		jitter:    fullJitter,
	}
	b.errOpen = newRejectedError(b, ErrOpen, StateOpen)
	b.errBusy = newRejectedError(b, ErrTooManyRequests, StateHalfOpen)
	b.log.state, b.log.since = StateClosed, time.Now()
	b.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:          name,
		MaxRequests:   b.trials,
		Timeout:       s.OpenTimeout,
		ReadyToTrip:   b.readyToTrip,
		OnStateChange: b.onStateChange,
		IsExcluded:    func(err error) bool { return err == errExcluded }, //nolint:errorlint // errExcluded is returned unwrapped by this package alone; errors.Is would run the Unwrap and Is methods of user errors
	})
	return b, nil
}

// Name returns the name given to New.
func (b *Breaker) Name() string { return b.name }

// State returns the breaker's current state, first moving an open breaker
// whose OpenTimeout has passed to half-open. With Settings.Shared connected
// it is the shared state.
func (b *Breaker) State() State {
	if b.shared != nil && b.shared.Connected() {
		b.flush()
		return b.shared.View().State
	}
	s := b.cb.State()
	b.flush()
	return s
}

// The verdicts attempt hands gobreaker in place of the call's real error,
// which it keeps for the caller: gobreaker then counts nil as a success,
// errExcluded as neither, and anything else (errFailed, or its own error
// for a panic) as a failure.
var (
	errFailed   = errors.New("breaker: failed")
	errExcluded = errors.New("breaker: excluded")
)

// errPanicked is the failure recorded for a call that panicked; its reason
// is what health messages show.
var errPanicked = &core.CheckError{Reason: "panic"}

// attempt makes one call of fn through the breaker, without retry. ran
// reports whether fn was called; when it was not, err is the rejection
// (ErrOpen or ErrTooManyRequests, wrapped with the name). A panic in fn is
// counted as a failure and propagates; so is a runtime.Goexit, which still
// ends the calling goroutine.
func attempt[T any](ctx context.Context, b *Breaker, fn func(context.Context) (T, error)) (v T, ran bool, err error) {
	defer b.flush()
	if b.shared != nil {
		adm, ticket := b.shared.Admit(ctx)
		switch adm {
		case RejectOpen:
			return v, false, b.errOpen
		case RejectBusy:
			return v, false, b.errBusy
		}
		outcome := NotRun
		// Deferred, so that a call that panics or calls runtime.Goexit is
		// reported to the shared state too.
		defer func() { b.shared.Done(adm, ticket, outcome, b.failureReason(outcome)) }()
		// Connected, the shared state has decided: the local state machine,
		// which may have opened while the store was unreachable, must not
		// overrule it (a replica that rejoins a closed fleet would reject
		// calls until its own OpenTimeout).
		return execute(ctx, b, fn, &outcome, !b.shared.Connected())
	}
	return execute(ctx, b, fn, nil, true)
}

// execute makes the call, through the local state machine when local is
// true; when outcome is not nil it receives the call's outcome, also when
// fn panics or calls runtime.Goexit.
func execute[T any](ctx context.Context, b *Breaker, fn func(context.Context) (T, error), outcome *Outcome, local bool) (v T, ran bool, err error) {
	defer func() {
		// A call that called runtime.Goexit was turned into a goexitPanic
		// for gobreaker to see (below). Recovering it lets the Goexit
		// resume: the goroutine still ends, as fn meant.
		if p := recover(); p != nil {
			if _, ok := p.(goexitPanic); !ok {
				panic(p)
			}
		}
	}()
	call := func() (struct{}, error) {
		ran = true
		returned := false
		defer func() {
			if returned {
				return
			}
			b.recordFailure(errPanicked)
			if outcome != nil {
				*outcome = Failed
			}
			if p := recover(); p != nil {
				panic(p) // on to gobreaker, which counts a failure, and to the caller
			}
			// runtime.Goexit (in fn, or in Settings.IsSuccessful): gobreaker
			// recovers panics only, and would count the call in flight for
			// good (a half-open breaker then refuses every call). A panic
			// makes it count a failure.
			panic(goexitPanic{})
		}()
		v, err = fn(ctx)
		verdict := b.judge(ctx, err)
		returned = true
		if outcome != nil {
			switch verdict {
			case nil:
				*outcome = Succeeded
			case errExcluded: //nolint:errorlint // judge returns this sentinel itself, never wrapped
				*outcome = Excluded
			default:
				*outcome = Failed
			}
		}
		return struct{}{}, verdict
	}
	var verdict error
	if local {
		_, verdict = b.cb.Execute(call)
	} else {
		_, verdict = call()
	}
	if !ran {
		err = b.errOpen
		if errors.Is(verdict, ErrTooManyRequests) {
			err = b.errBusy
		}
	}
	return v, ran, err
}

// goexitPanic stands for a call that called runtime.Goexit while it crosses
// gobreaker (see execute).
type goexitPanic struct{}

// failureReason returns the reason of the latest failure when o is Failed,
// for the shared state; the lock is taken only then.
func (b *Breaker) failureReason(o Outcome) string {
	if o != Failed {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.lastReason
}

// judge turns the error of a call into gobreaker's verdict, recording
// failures so that the state change they may cause can say why.
func (b *Breaker) judge(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case b.success != nil && b.success(err):
		return nil
	case errors.Is(err, context.Canceled), errors.Is(ctx.Err(), context.Canceled):
		return errExcluded
	}
	b.recordFailure(err)
	return errFailed
}

func (b *Breaker) recordFailure(err error) {
	reason, err := readFailure(err)
	b.mu.Lock()
	b.log.lastErr, b.log.lastReason = err, reason
	b.mu.Unlock()
}

// readFailure reads a failed call's error once, on the goroutine of the
// call, without holding a lock: its core.Reason, which transitions and
// health messages show, and its text, to be sure it can be read. The error
// is user code, and its methods may panic (a nil *T returned as an error):
// read later, it would panic under gobreaker's lock as the failure trips the
// breaker, and in every health check after. An error that panics is kept as
// an error that says so instead.
func readFailure(err error) (reason string, kept error) {
	defer func() {
		if recover() == nil {
			return
		}
		reason = "call's error panicked"
		if v := reflect.ValueOf(err); v.Kind() == reflect.Pointer && v.IsNil() {
			reason = fmt.Sprintf("call returned a nil %T", err)
		}
		kept = errors.New(reason)
	}()
	reason = core.Reason(err)
	_ = err.Error()
	return reason, err
}

// readyToTrip is gobreaker's ReadyToTrip; it runs under gobreaker's lock.
func (b *Breaker) readyToTrip(c gobreaker.Counts) bool {
	if c.ConsecutiveFailures < b.threshold || b.shared != nil && b.shared.Connected() {
		// Connected, the shared state trips the fleet's breaker instead.
		return false
	}
	b.mu.Lock()
	b.log.tripFailures = c.ConsecutiveFailures
	b.mu.Unlock()
	return true
}

// onStateChange is gobreaker's OnStateChange; it runs under gobreaker's
// lock, so it only records the change. flush delivers it.
func (b *Breaker) onStateChange(_ string, from, to State) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	h := &b.log
	h.state, h.since = to, now
	switch {
	case to == StateOpen && from == StateClosed:
		h.openedAt, h.failedTrials = now, 0
	case to == StateOpen:
		h.failedTrials++
	case to == StateClosed:
		h.openedAt, h.failedTrials, h.tripFailures, h.lastErr, h.lastReason = time.Time{}, 0, 0, nil, ""
	}
	if b.notify == nil {
		return
	}
	var reason string
	switch to {
	case StateOpen:
		if from == StateClosed {
			reason = plural(int(h.tripFailures), "consecutive failure") + ": " + h.lastReason
		} else {
			reason = "recovery trial failed: " + h.lastReason
		}
	case StateHalfOpen:
		reason = "open timeout elapsed, trying recovery"
	case StateClosed:
		reason = "recovered"
	}
	h.pending = append(h.pending, core.Transition{
		Component: "breaker", Name: b.name, From: from.String(), To: to.String(),
		Reason: reason, Time: now,
	})
	b.pending.Store(true)
}

// flush delivers pending transitions to Notify, outside gobreaker's lock.
func (b *Breaker) flush() {
	if !b.pending.Load() {
		return
	}
	b.notifyMu.Lock()
	defer b.notifyMu.Unlock()
	b.mu.Lock()
	batch := b.log.pending
	b.log.pending = nil
	b.pending.Store(false)
	b.mu.Unlock()
	for _, t := range batch {
		b.notify(t)
	}
}

// snapshot returns the breaker's history, without pending transitions,
// after bringing its state up to date.
func (b *Breaker) snapshot() history {
	b.State()
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.log
	h.pending = nil
	return h
}

// fullJitter returns a random duration in [0, ceiling].
func fullJitter(ceiling time.Duration) time.Duration {
	return rand.N(ceiling + 1)
}
