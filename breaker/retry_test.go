package breaker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// upperBound replaces full jitter with its ceiling, so that a schedule is
// exact.
func upperBound(d time.Duration) time.Duration { return d }

// attemptTimes runs Do with a call that fails with err every time and
// returns the fake-clock offsets of the attempts from the first one.
func attemptTimes(ctx context.Context, b *Breaker, err error) ([]time.Duration, error) {
	var at []time.Time
	doErr := b.Do(ctx, func(context.Context) error {
		at = append(at, time.Now())
		return err
	})
	offs := make([]time.Duration, len(at))
	for i, t := range at {
		offs[i] = t.Sub(at[0])
	}
	return offs, doErr
}

func ms(ds ...int) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = time.Duration(d) * time.Millisecond
	}
	return out
}

// TestRetrySchedule checks the exact schedule at the jitter's upper bound:
// doubling from InitialInterval, capped at MaxInterval, stopped by
// MaxAttempts, MaxElapsed or the context's deadline without a pointless wait.
func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		retry    Retry
		deadline time.Duration // of the context; 0 for none
		want     []time.Duration
		returnAt time.Duration // when Do returns, from the first attempt
	}{
		{"doubling capped at MaxInterval",
			Retry{MaxAttempts: 7, InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, MaxElapsed: time.Hour},
			0, ms(0, 100, 300, 700, 1500, 2500, 3500), 3500 * time.Millisecond},
		{"MaxElapsed: a wait that would pass it is not begun",
			Retry{MaxAttempts: 10, InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, MaxElapsed: 500 * time.Millisecond},
			0, ms(0, 100, 300), 300 * time.Millisecond},
		{"deadline: a wait that would outlast it is not begun",
			Retry{MaxAttempts: 10, InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, MaxElapsed: time.Hour},
			250 * time.Millisecond, ms(0, 100), 100 * time.Millisecond},
		{"one attempt",
			Retry{MaxAttempts: 1}, 0, ms(0), 0},
		{"defaults",
			Retry{}, 0, ms(0, 100, 300), 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				b := mustNew(t, "db", Settings{FailureThreshold: 100, Retry: tt.retry})
				b.jitter = upperBound
				ctx := context.Background()
				if tt.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.deadline)
					defer cancel()
				}
				start := time.Now()
				got, err := attemptTimes(ctx, b, errRefused)
				if !slices.Equal(got, tt.want) {
					t.Errorf("attempts at %v, want %v", got, tt.want)
				}
				if took := time.Since(start); took != tt.returnAt {
					t.Errorf("Do returned after %v, want %v", took, tt.returnAt)
				}
				if !errors.Is(err, errRefused) {
					t.Errorf("Do = %v, want the last attempt's error", err)
				}
				if n := len(tt.want); n > 1 && !strings.HasSuffix(err.Error(), fmt.Sprintf("(after %d attempts)", n)) {
					t.Errorf("error %q does not count %d attempts", err, n)
				}
			})
		})
	}
}

// TestRetryFullJitterBounds runs the real jitter: every wait lies within
// [0, ceiling], and the waits spread over that range.
func TestRetryFullJitterBounds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r := Retry{MaxAttempts: 6, InitialInterval: 100 * time.Millisecond, MaxInterval: 800 * time.Millisecond, MaxElapsed: time.Hour}
		b := mustNew(t, "db", Settings{FailureThreshold: math.MaxInt32, Retry: r})
		var waits [6][]time.Duration // by retry number
		for range 200 {
			offs, _ := attemptTimes(context.Background(), b, errRefused)
			if len(offs) != 6 {
				t.Fatalf("%d attempts, want 6", len(offs))
			}
			for k := 1; k < len(offs); k++ {
				waits[k] = append(waits[k], offs[k]-offs[k-1])
			}
		}
		nr := b.retry
		for k := 1; k < 6; k++ {
			ceiling := nr.ceiling(k)
			lo, hi := slices.Min(waits[k]), slices.Max(waits[k])
			if lo < 0 || hi > ceiling {
				t.Errorf("retry %d: waits in [%v, %v], want within [0, %v]", k, lo, hi, ceiling)
			}
			// 200 uniform samples all in one half of the range has
			// probability 2^-199: this fails only if the jitter is not full.
			if lo >= ceiling/2 || hi <= ceiling/2 {
				t.Errorf("retry %d: waits in [%v, %v] do not spread over [0, %v]", k, lo, hi, ceiling)
			}
		}
	})
}

func TestFullJitter(t *testing.T) {
	t.Parallel()
	const ceiling, n = time.Second, 20000
	var sum time.Duration
	for range n {
		d := fullJitter(ceiling)
		if d < 0 || d > ceiling {
			t.Fatalf("fullJitter(%v) = %v", ceiling, d)
		}
		sum += d
	}
	// The mean of n uniform samples has a standard deviation of
	// ceiling/sqrt(12n) (0.2% here); ±10% cannot fail by chance.
	if mean := sum / n; mean < 4*ceiling/10 || mean > 6*ceiling/10 {
		t.Errorf("mean wait %v, want about %v", mean, ceiling/2)
	}
	if d := fullJitter(0); d != 0 {
		t.Errorf("fullJitter(0) = %v", d)
	}
}

func TestRetryCeiling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		initial, max time.Duration
		n            int
		want         time.Duration
	}{
		{100 * time.Millisecond, 2 * time.Second, 1, 100 * time.Millisecond},
		{100 * time.Millisecond, 2 * time.Second, 2, 200 * time.Millisecond},
		{100 * time.Millisecond, 2 * time.Second, 5, 1600 * time.Millisecond},
		{100 * time.Millisecond, 2 * time.Second, 6, 2 * time.Second},
		{100 * time.Millisecond, 2 * time.Second, 1000, 2 * time.Second},
		{time.Second, time.Second, 3, time.Second},
		{1 << 61, math.MaxInt64, 5, math.MaxInt64}, // no overflow
		{1, math.MaxInt64, 1 << 20, math.MaxInt64},
	}
	for _, tt := range tests {
		r := Retry{InitialInterval: tt.initial, MaxInterval: tt.max}
		if got := r.ceiling(tt.n); got != tt.want {
			t.Errorf("ceiling(%d) with initial %v, max %v = %v, want %v", tt.n, tt.initial, tt.max, got, tt.want)
		}
	}
}

func TestRetryCanceledMidBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, "db", Settings{Retry: Retry{MaxAttempts: 5, InitialInterval: time.Second}})
		b.jitter = upperBound
		errShutdown := errors.New("shutting down")
		ctx, cancel := context.WithCancelCause(context.Background())
		time.AfterFunc(300*time.Millisecond, func() { cancel(errShutdown) })

		start := time.Now()
		offs, err := attemptTimes(ctx, b, errRefused)
		if took := time.Since(start); took != 300*time.Millisecond {
			t.Errorf("Do returned %v after the first attempt, want at the cancellation (300ms)", took)
		}
		if len(offs) != 1 {
			t.Errorf("%d attempts, want 1", len(offs))
		}
		if !errors.Is(err, errShutdown) || !errors.Is(err, errRefused) {
			t.Errorf("Do = %v, want both the cause and the last error", err)
		}
		if got := b.State(); got != StateClosed {
			t.Errorf("state %v, want closed (1 failure)", got)
		}
	})
}

func TestRetryOnlyRetryableErrors(t *testing.T) {
	t.Parallel()
	errAnswer := errors.New("no rows")
	errBadInput := errors.New("syntax error")
	tests := []struct {
		name      string
		err       error
		retryable func(error) bool
		calls     int32
	}{
		{"plain errors are retried by default", errRefused, nil, 4},
		{"Permanent", Permanent(errBadInput), nil, 1},
		{"Permanent, wrapped", fmt.Errorf("query: %w", Permanent(errBadInput)), func(error) bool { return true }, 1},
		{"Retryable says no", errBadInput, func(err error) bool { return !errors.Is(err, errBadInput) }, 1},
		{"Retryable says yes", errRefused, func(err error) bool { return !errors.Is(err, errBadInput) }, 4},
		{"a nested breaker's open state", fmt.Errorf("inner: %w", ErrOpen), func(error) bool { return true }, 1},
		{"a nested breaker's trial limit", fmt.Errorf("inner: %w", ErrTooManyRequests), nil, 1},
		{"an answer IsSuccessful accepts", errAnswer, func(error) bool { return true }, 1},
		{"a deadline inside the call, ctx still live", context.DeadlineExceeded, nil, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				b := mustNew(t, "db", Settings{
					FailureThreshold: 100,
					IsSuccessful:     func(err error) bool { return errors.Is(err, errAnswer) },
					Retry:            Retry{MaxAttempts: 4, Retryable: tt.retryable},
				})
				var calls atomic.Int32
				err := b.Do(context.Background(), counted(&calls, &tt.err))
				if got := calls.Load(); got != tt.calls {
					t.Errorf("%d calls, want %d", got, tt.calls)
				}
				if !errors.Is(err, tt.err) {
					t.Errorf("Do = %v, want %v", err, tt.err)
				}
			})
		})
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	inner := fmt.Errorf("wrapped: %w", errRefused)
	p := Permanent(inner)
	if p.Error() != inner.Error() || !errors.Is(p, errRefused) || !errors.Is(p, errPermanent) {
		t.Errorf("Permanent(%v) = %v: text or chain changed", inner, p)
	}
	if errors.Is(inner, errPermanent) {
		t.Error("an unmarked error is permanent")
	}
}

// TestRetryNeverIntoOpenBreaker: when an attempt's failure trips the
// breaker, Do stops at once instead of waiting to be rejected.
func TestRetryNeverIntoOpenBreaker(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, "db", Settings{FailureThreshold: 2, Retry: Retry{MaxAttempts: 5}})
		b.jitter = upperBound
		start := time.Now()
		offs, err := attemptTimes(context.Background(), b, errRefused)
		if !slices.Equal(offs, ms(0, 100)) {
			t.Errorf("attempts at %v, want [0 100ms]: the second failure trips the breaker", offs)
		}
		if took := time.Since(start); took != 100*time.Millisecond {
			t.Errorf("Do waited %v, want only the first backoff (100ms)", took)
		}
		if !errors.Is(err, errRefused) || errors.Is(err, ErrOpen) {
			t.Errorf("Do = %v, want the dependency's error, not ErrOpen", err)
		}
	})
}

// TestRetryStopsWhenOthersTripTheBreaker: the breaker opens during a wait
// (other calls failed); the next attempt is rejected and not retried.
func TestRetryStopsWhenOthersTripTheBreaker(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, "db", Settings{FailureThreshold: 3, Retry: Retry{MaxAttempts: 5}})
		b.jitter = upperBound
		var calls atomic.Int32
		fail := error(errRefused)
		done := make(chan error)
		go func() { done <- b.Do(context.Background(), counted(&calls, &fail)) }()
		synctest.Wait() // first attempt failed; Do waits 100ms
		for range 2 {   // failures that are not retried, so these calls do not wait
			_ = b.Do(context.Background(), func(context.Context) error { return Permanent(errRefused) })
		}
		if got := b.State(); got != StateOpen {
			t.Fatalf("state %v, want open", got)
		}
		err := <-done
		if calls.Load() != 1 {
			t.Errorf("%d calls, want 1: the retry must be rejected, not made", calls.Load())
		}
		if !errors.Is(err, ErrOpen) || !strings.HasSuffix(err.Error(), "(after 2 attempts)") {
			t.Errorf("Do = %v, want ErrOpen after 2 attempts", err)
		}
	})
}

func TestCall(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, "db", Settings{})
		ctx := context.Background()

		// Succeeds on the third attempt.
		n := 0
		got, err := Call(ctx, b, func(context.Context) (int, error) {
			n++
			if n < 3 {
				return 0, errRefused
			}
			return 42, nil
		})
		if got != 42 || err != nil || n != 3 {
			t.Errorf("Call = %d, %v after %d calls, want 42, nil after 3", got, err, n)
		}

		// A context done before the first attempt: fn is not called.
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		got, err = Call(canceled, b, func(context.Context) (int, error) {
			t.Error("fn called with a done context")
			return 1, nil
		})
		if got != 0 || !errors.Is(err, context.Canceled) {
			t.Errorf("Call with a done context = %d, %v", got, err)
		}

		// Nil functions are errors, not panics.
		if _, err := Call[int](ctx, b, nil); err == nil {
			t.Error("Call with nil fn: no error")
		}
		if err := b.Do(ctx, nil); err == nil {
			t.Error("Do with nil fn: no error")
		}
	})
}
