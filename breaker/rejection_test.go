package breaker

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// A rejected call's error says which breaker refused it, in which state, and
// since when it has been open, while keeping its text and its errors.Is
// matches; an accepted call's error is never one.
func TestRejectedError(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, "payments", Settings{FailureThreshold: 1, OpenTimeout: 10 * time.Second, Retry: noRetry})
		ctx := context.Background()
		var re *RejectedError
		tripped := time.Now()
		if err := b.Do(ctx, func(context.Context) error { return errRefused }); errors.As(err, &re) {
			t.Fatalf("the failed call that tripped the breaker returned a RejectedError: %v", err)
		}
		time.Sleep(3 * time.Second)

		_, err := Call(ctx, b, func(context.Context) (int, error) { return 1, nil })
		if !errors.As(err, &re) {
			t.Fatalf("call on the open breaker: %v, want a *RejectedError", err)
		}
		if !errors.Is(err, ErrOpen) || err.Error() != "breaker payments: circuit breaker is open" {
			t.Errorf("rejection = %q, errors.Is(ErrOpen) = %v; want the old text and true", err, errors.Is(err, ErrOpen))
		}
		if re.BreakerName() != "payments" || re.BreakerState() != "open" || !re.OpenSince().Equal(tripped) {
			t.Errorf("rejection says %s %s since %v, want payments open since %v", re.BreakerName(), re.BreakerState(), re.OpenSince(), tripped)
		}

		// Half-open with its one trial in flight: the next call is refused
		// as ErrTooManyRequests, and the outage still dates from the trip.
		time.Sleep(10 * time.Second)
		release := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { _ = b.Do(ctx, func(context.Context) error { <-release; return nil }) })
		synctest.Wait()
		err = b.Do(ctx, func(context.Context) error { return nil })
		if !errors.As(err, &re) || !errors.Is(err, ErrTooManyRequests) {
			t.Fatalf("call beside the half-open trial: %v, want a *RejectedError wrapping ErrTooManyRequests", err)
		}
		if re.BreakerState() != "half-open" || !re.OpenSince().Equal(tripped) {
			t.Errorf("rejection says %s since %v, want half-open since the trip at %v", re.BreakerState(), re.OpenSince(), tripped)
		}
		close(release)
		wg.Wait()
		if !re.OpenSince().IsZero() {
			t.Errorf("OpenSince after the breaker closed = %v, want zero", re.OpenSince())
		}
	})
}

// Rejecting a call allocates nothing: the error is made once, at New.
func TestRejectionDoesNotAllocate(t *testing.T) {
	b := mustNew(t, "db", Settings{FailureThreshold: 1, OpenTimeout: time.Hour, Retry: noRetry})
	ctx := context.Background()
	_ = b.Do(ctx, func(context.Context) error { return errRefused })
	fn := func(context.Context) error { return nil }
	if n := testing.AllocsPerRun(100, func() { _ = b.Do(ctx, fn) }); n != 0 {
		t.Errorf("a rejected Do allocates %v times, want 0", n)
	}
}
