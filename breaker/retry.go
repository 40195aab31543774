package breaker

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Do calls fn through the breaker, retrying it per Settings.Retry, and
// returns nil or the error of the last attempt. See Call.
func (b *Breaker) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	if fn == nil {
		return fmt.Errorf("breaker %s: Do: fn is nil", b.name)
	}
	_, err := Call(ctx, b, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	})
	return err
}

// Call calls fn through the breaker b, retrying it per Settings.Retry, and
// returns the value and error of the last attempt.
//
// Each attempt is one call through the breaker: while the breaker is open
// an attempt fails at once with an error wrapping ErrOpen (ErrTooManyRequests
// when half-open and full), without calling fn, and such an error is never
// retried; nor is the next attempt made when the last failure left the
// breaker open. Errors marked with Permanent, errors Settings.IsSuccessful
// accepts, and those Retry.Retryable rejects are returned at once as well.
//
// ctx is passed to fn and bounds the whole call: when ctx is done before
// the first attempt, Call returns context.Cause(ctx) without calling fn;
// when it is done during a wait, Call returns at once with an error that wraps
// both context.Cause(ctx) and the last attempt's error. Waits that would
// outlast ctx's deadline or pass Retry.MaxElapsed are not begun. An error
// returned after more than one attempt says how many were made and wraps
// the last attempt's error; after one, it is that error itself.
//
// A call whose first attempt succeeds allocates nothing and reads no clock
// beyond gobreaker's own two time.Now calls. A panic in fn is counted as
// a failure and propagates to the caller.
func Call[T any](ctx context.Context, b *Breaker, fn func(ctx context.Context) (T, error)) (T, error) {
	if fn == nil {
		var zero T
		return zero, fmt.Errorf("breaker %s: Call: fn is nil", b.name)
	}
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, context.Cause(ctx)
	}
	var failedAt time.Time // when the first attempt failed; read late, the clock is not free
	for n := 1; ; n++ {
		v, ran, err := attempt(ctx, b, fn)
		if err == nil {
			return v, nil
		}
		if n >= b.retry.MaxAttempts || !b.retryable(ctx, err, ran) {
			return v, gaveUp(err, n)
		}
		now := time.Now()
		if n == 1 {
			failedAt = now
		}
		wait := b.jitter(b.retry.ceiling(n))
		wake := now.Add(wait)
		if wake.After(failedAt.Add(b.retry.MaxElapsed)) {
			return v, gaveUp(err, n)
		}
		if d, ok := ctx.Deadline(); ok && !wake.Before(d) {
			return v, gaveUp(err, n)
		}
		if !sleep(ctx, wait) {
			return v, fmt.Errorf("%w (during backoff after %s; last error: %w)", context.Cause(ctx), plural(n, "attempt"), err)
		}
	}
}

// retryable reports whether a failed attempt may be retried.
func (b *Breaker) retryable(ctx context.Context, err error, ran bool) bool {
	switch {
	case !ran, // rejected by this breaker
		ctx.Err() != nil,
		errors.Is(err, errPermanent),
		errors.Is(err, ErrOpen), errors.Is(err, ErrTooManyRequests), // a nested breaker's
		b.success != nil && b.success(err):
		return false
	case b.State() == StateOpen:
		// This failure, or a concurrent one, tripped the breaker: waiting
		// would only end in ErrOpen.
		return false
	case b.retry.Retryable != nil:
		return b.retry.Retryable(err)
	}
	return true
}

// ceiling returns the upper bound of the wait before retry n (n >= 1):
// min(MaxInterval, InitialInterval·2^(n-1)).
func (r *Retry) ceiling(n int) time.Duration {
	d := r.InitialInterval
	for i := 1; i < n && d < r.MaxInterval; i++ {
		if d > r.MaxInterval/2 {
			return r.MaxInterval
		}
		d *= 2
	}
	return min(d, r.MaxInterval)
}

// sleep waits for d, or until ctx is done, and reports whether it waited
// the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func gaveUp(err error, attempts int) error {
	if attempts == 1 {
		return err
	}
	return fmt.Errorf("%w (after %d attempts)", err, attempts)
}

// Permanent marks err as not worth retrying: Do and Call return it at once
// (it still counts as a failure for the breaker unless IsSuccessful accepts
// it). The result wraps err, so errors.Is and errors.As see through it, and
// its Error text is err's. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == errPermanent }

// errPermanent is what errors.Is finds in an error marked with Permanent.
var errPermanent = errors.New("permanent")
