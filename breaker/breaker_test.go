package breaker

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/probekit/probekit/core"
)

// errRefused is what a dial to a closed port returns; core.Reason calls it
// "connection refused".
var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}

// recorder collects the transitions a breaker reports.
type recorder struct {
	mu sync.Mutex
	ts []core.Transition
}

func (r *recorder) notify(t core.Transition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ts = append(r.ts, t)
}

// path returns the states of the transitions so far, "closed>open>...".
func (r *recorder) path() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ts) == 0 {
		return ""
	}
	p := r.ts[0].From
	for _, t := range r.ts {
		p += ">" + t.To
	}
	return p
}

func (r *recorder) last() core.Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ts) == 0 {
		return core.Transition{}
	}
	return r.ts[len(r.ts)-1]
}

// counted returns a call that counts its invocations and returns *err.
func counted(calls *atomic.Int32, err *error) func(context.Context) error {
	return func(context.Context) error {
		calls.Add(1)
		return *err
	}
}

func mustNew(t *testing.T, name string, s Settings) *Breaker {
	t.Helper()
	b, err := New(name, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noRetry makes Do a single attempt, so that tests count calls exactly.
var noRetry = Retry{MaxAttempts: 1}

// TestStateTransitions walks the breaker through every transition on a fake
// clock (synctest), with the default OpenTimeout.
func TestStateTransitions(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		b := mustNew(t, "db", Settings{FailureThreshold: 3, HalfOpenRequests: 2, Retry: noRetry, Notify: rec.notify})
		var calls atomic.Int32
		var fail error = errRefused
		call := counted(&calls, &fail)
		ctx := context.Background()
		start := time.Now()

		// closed -> open after FailureThreshold consecutive failures.
		for i := range 3 {
			if got := b.State(); got != StateClosed {
				t.Fatalf("before failure %d: state %v, want closed", i+1, got)
			}
			if err := b.Do(ctx, call); !errors.Is(err, errRefused) {
				t.Fatalf("failure %d: Do = %v, want the call's error", i+1, err)
			}
		}
		if got := b.State(); got != StateOpen {
			t.Fatalf("after 3 failures: state %v, want open", got)
		}
		want := core.Transition{Component: "breaker", Name: "db", From: "closed", To: "open",
			Reason: "3 consecutive failures: connection refused", Time: start}
		if got := rec.last(); got != want {
			t.Errorf("transition = %+v, want %+v", got, want)
		}

		// open: calls fail at once, without calling.
		calls.Store(0)
		err := b.Do(ctx, call)
		if !errors.Is(err, ErrOpen) || calls.Load() != 0 {
			t.Fatalf("open: Do = %v with %d calls, want ErrOpen and none", err, calls.Load())
		}
		if err.Error() != "breaker db: circuit breaker is open" {
			t.Errorf("open: error text %q does not name the breaker", err)
		}

		// open -> half-open after OpenTimeout, not before.
		time.Sleep(DefaultOpenTimeout - time.Millisecond)
		if got := b.State(); got != StateOpen {
			t.Fatalf("just before OpenTimeout: state %v, want open", got)
		}
		time.Sleep(2 * time.Millisecond)
		if got := b.State(); got != StateHalfOpen {
			t.Fatalf("after OpenTimeout: state %v, want half-open", got)
		}

		// half-open -> open on a failed trial.
		if err := b.Do(ctx, call); !errors.Is(err, errRefused) || calls.Load() != 1 {
			t.Fatalf("half-open trial: Do = %v after %d calls, want the call's error after 1", err, calls.Load())
		}
		if got := b.State(); got != StateOpen {
			t.Fatalf("after failed trial: state %v, want open", got)
		}
		if got := rec.last().Reason; got != "recovery trial failed: connection refused" {
			t.Errorf("re-open reason = %q", got)
		}

		// half-open -> closed after HalfOpenRequests successful trials.
		time.Sleep(DefaultOpenTimeout + time.Millisecond)
		fail = nil
		for i := range 2 {
			if err := b.Do(ctx, call); err != nil {
				t.Fatalf("trial %d: %v", i+1, err)
			}
			if want := []State{StateHalfOpen, StateClosed}[i]; b.State() != want {
				t.Fatalf("after trial %d: state %v, want %v", i+1, b.State(), want)
			}
		}
		if got, want := rec.path(), "closed>open>half-open>open>half-open>closed"; got != want {
			t.Errorf("transitions %s, want %s", got, want)
		}
		if got := rec.last().Reason; got != "recovered" {
			t.Errorf("close reason = %q", got)
		}
	})
}

func TestHalfOpenLimitsTrialCalls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, "api", Settings{FailureThreshold: 1, OpenTimeout: time.Second, HalfOpenRequests: 2, Retry: noRetry})
		ctx := context.Background()
		_ = b.Do(ctx, func(context.Context) error { return errRefused })
		time.Sleep(2 * time.Second)

		release := make(chan struct{})
		var inFlight atomic.Int32
		slow := func(context.Context) error {
			inFlight.Add(1)
			<-release
			return nil
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for range 2 {
			wg.Go(func() { errs <- b.Do(ctx, slow) })
		}
		synctest.Wait() // both trials are inside slow
		if n := inFlight.Load(); n != 2 {
			t.Fatalf("%d trial calls in flight, want 2", n)
		}
		var calls atomic.Int32
		var none error
		if err := b.Do(ctx, counted(&calls, &none)); !errors.Is(err, ErrTooManyRequests) || calls.Load() != 0 {
			t.Errorf("third call while 2 trials run: %v after %d calls, want ErrTooManyRequests and none", err, calls.Load())
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("trial: %v", err)
			}
		}
		if got := b.State(); got != StateClosed {
			t.Errorf("after 2 successful trials: state %v, want closed", got)
		}
	})
}

// TestCancellationIsNotAFailure: a canceled call neither counts toward the
// trip nor resets the consecutive failures, and does not use up a
// half-open trial.
func TestCancellationIsNotAFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, "db", Settings{FailureThreshold: 2, OpenTimeout: time.Second, Retry: noRetry})
		fail := func(context.Context) error { return errRefused }

		canceledCall := func() {
			ctx, cancel := context.WithCancel(context.Background())
			// The dependency's client wraps the cancellation in its own error.
			err := b.Do(ctx, func(context.Context) error {
				cancel()
				return errors.New("query interrupted")
			})
			if err == nil {
				t.Fatal("canceled call returned nil")
			}
		}
		ctx := context.Background()
		_ = b.Do(ctx, fail)
		for range 5 {
			canceledCall()
			_ = b.Do(ctx, func(context.Context) error { return context.Canceled })
		}
		if got := b.State(); got != StateClosed {
			t.Fatalf("after 1 failure and 10 cancellations: state %v, want closed", got)
		}
		_ = b.Do(ctx, fail)
		if got := b.State(); got != StateOpen {
			t.Fatalf("cancellations reset the consecutive failures: state %v, want open", got)
		}

		time.Sleep(2 * time.Second)
		canceledCall()
		if err := b.Do(ctx, func(context.Context) error { return nil }); err != nil {
			t.Fatalf("trial after a canceled trial: %v", err)
		}
		if got := b.State(); got != StateClosed {
			t.Errorf("state %v, want closed", got)
		}
	})
}

func TestDeadlineExceededIsAFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, "db", Settings{FailureThreshold: 2, Retry: noRetry})
		for range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			err := b.Do(ctx, func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			})
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Do = %v, want DeadlineExceeded", err)
			}
		}
		if got := b.State(); got != StateOpen {
			t.Errorf("after 2 timeouts: state %v, want open", got)
		}
	})
}

func TestIsSuccessfulErrorsDoNotTrip(t *testing.T) {
	t.Parallel()
	errNotFound := errors.New("not found")
	b := mustNew(t, "api", Settings{
		FailureThreshold: 1,
		IsSuccessful:     func(err error) bool { return errors.Is(err, errNotFound) },
	})
	var calls atomic.Int32
	for range 3 {
		err := b.Do(context.Background(), func(context.Context) error {
			calls.Add(1)
			return errNotFound
		})
		if !errors.Is(err, errNotFound) {
			t.Fatalf("Do = %v, want the answer", err)
		}
	}
	if got := b.State(); got != StateClosed {
		t.Errorf("state %v, want closed", got)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("%d calls, want 3: an accepted error must not be retried", got)
	}
}

func TestPanicCountsAsFailureAndPropagates(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		b := mustNew(t, "cache", Settings{FailureThreshold: 1, Notify: rec.notify})
		func() {
			defer func() {
				if v := recover(); v != "boom" {
					t.Errorf("recovered %v, want the call's panic", v)
				}
			}()
			_ = b.Do(context.Background(), func(context.Context) error { panic("boom") })
		}()
		if got := b.State(); got != StateOpen {
			t.Fatalf("state %v, want open", got)
		}
		if got := rec.last().Reason; got != "1 consecutive failure: panic" {
			t.Errorf("reason %q", got)
		}
	})
}

func TestNotifyIsCalledOutsideTheBreakerLock(t *testing.T) {
	t.Parallel()
	var b *Breaker
	var states []State
	b = mustNew(t, "db", Settings{FailureThreshold: 1, Retry: noRetry, Notify: func(core.Transition) {
		// Re-entering the breaker from Notify would deadlock if it were
		// called under gobreaker's lock.
		states = append(states, b.State())
		_ = b.Check()(context.Background())
	}})
	_ = b.Do(context.Background(), func(context.Context) error { return errRefused })
	if len(states) != 1 || states[0] != StateOpen {
		t.Errorf("Notify saw states %v, want [open]", states)
	}
}
