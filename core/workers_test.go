package core

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// idleWorkers is how many workers are parked in r's pool.
func idleWorkers(r *Registry) int {
	r.workers.mu.Lock()
	defer r.workers.mu.Unlock()
	return len(r.workers.idle)
}

// TestWorkersExit: the workers that make calls park between them, exit on
// their own once idle (a registry nobody closes leaves none behind), and at
// once when the registry closes. goleak (TestMain) checks that none is
// left at the end.
func TestWorkersExit(t *testing.T) {
	t.Parallel()
	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		r := newTestRegistry(t, Options{})
		_ = r.Register(Check{Name: "db", Check: ok})
		r.MarkStarted()
		if rep, _ := r.Evaluate(context.Background(), Readiness); rep.Status != StatusOK {
			t.Fatal(rep.Status)
		}
		waitFor(t, func() bool { return idleWorkers(r) == 1 })
		waitFor(t, func() bool { return idleWorkers(r) == 0 }) // after workerIdle
	})
	t.Run("close", func(t *testing.T) {
		t.Parallel()
		r := newTestRegistry(t, Options{})
		_ = r.Register(Check{Name: "db", Check: ok})
		r.MarkStarted()
		_, _ = r.Evaluate(context.Background(), Readiness)
		waitFor(t, func() bool { return idleWorkers(r) == 1 })
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if n := idleWorkers(r); n != 0 {
			t.Fatalf("%d workers parked after Close, want 0", n)
		}
		// A probe after Close still answers, on a worker that exits after
		// its call.
		if rep, _ := r.Evaluate(context.Background(), Readiness); rep.Status != StatusOK {
			t.Fatalf("after Close: %v, want ok", rep.Status)
		}
	})
}

// TestWorkerReplacedAfterGoexit: a check that calls runtime.Goexit ends
// the worker that ran it, after the call is recorded; the next calls,
// of that check and of the others, get workers of their own.
func TestWorkerReplacedAfterGoexit(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var calls atomic.Int64
	_ = r.Register(Check{Name: "a-exits", Check: func(context.Context) error { calls.Add(1); runtime.Goexit(); return nil }})
	_ = r.Register(Check{Name: "b", Check: func(context.Context) error { calls.Add(1); return nil }})
	_ = r.Register(Check{Name: "c", Check: func(context.Context) error { calls.Add(1); return nil }})
	r.MarkStarted()
	for i := range 3 {
		rep, _ := r.Evaluate(context.Background(), Readiness)
		if rep.Checks[0].Status != StatusUnavailable || rep.Checks[1].Status != StatusOK || rep.Checks[2].Status != StatusOK {
			t.Fatalf("probe %d: %+v; want a-exits failed, b and c ok", i, rep.Checks)
		}
	}
	if n := calls.Load(); n != 9 {
		t.Fatalf("%d calls, want 9", n)
	}
}

// TestBatchSpills: the calls of one probe go to one worker, one after the
// other; a call that does not return at once does not hold the others
// back: they are spilled onto workers of their own. Here a-waits returns
// only once b has been called, which, behind it on the same worker, only a
// spill makes possible before a-waits times out.
func TestBatchSpills(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	bCalled := make(chan struct{})
	_ = r.Register(Check{Name: "a-waits", Timeout: 5 * time.Second, Check: func(ctx context.Context) error {
		select {
		case <-bCalled:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	_ = r.Register(Check{Name: "b", Timeout: time.Minute, Check: func(context.Context) error { close(bCalled); return nil }})
	r.MarkStarted()
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if rep.Status != StatusOK {
		t.Fatalf("%v %q, want ok: b was held behind a-waits", rep.Status, rep.Message)
	}
}

// TestBatchSpilledWhenProberLeaves: an evaluation that stops waiting (its
// prober went away) still hands the calls of its batch not yet begun to
// workers: none stays behind a call that hangs.
func TestBatchSpilledWhenProberLeaves(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	release := make(chan struct{})
	defer close(release)
	bCalled := make(chan struct{})
	_ = r.Register(Check{Name: "a-hangs", Timeout: time.Minute, Check: func(ctx context.Context) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}})
	_ = r.Register(Check{Name: "b", Timeout: time.Minute, Check: func(context.Context) error { close(bCalled); return nil }})
	r.MarkStarted()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, _ := r.Evaluate(ctx, Readiness)
	for _, c := range rep.Checks {
		if c.Name == "a-hangs" && c.Message != "canceled" {
			t.Errorf("a-hangs: %q, want canceled", c.Message)
		}
	}
	select {
	case <-bCalled:
	case <-time.After(5 * time.Second): // bounds a broken test only
		t.Fatal("b never called: left behind a-hangs in the batch")
	}
}

// TestCallContext: the context a check gets has the call's deadline,
// carries the request's values but not its cancellation, ends at the
// deadline, and is cancelled once the call has returned, for a check that
// kept it; contexts derived from it follow it.
func TestCallContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	type seen struct {
		deadline   time.Time
		hasDL      bool
		value      any
		err, cause error
		expired    error // ctx.Err() once ctx.Done() closed
		derived    error // a context derived from it, after the call's deadline
		kept       context.Context
	}
	r, clock := newClockedRegistry(t)
	const timeout = 20 * time.Millisecond
	got := make(chan seen, 1)
	_ = r.Register(Check{Name: "db", Timeout: timeout, Check: func(ctx context.Context) error {
		var s seen
		s.deadline, s.hasDL = ctx.Deadline()
		s.value = ctx.Value(key{})
		s.err, s.cause = ctx.Err(), context.Cause(ctx)
		child, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		<-ctx.Done()
		s.expired = ctx.Err()
		<-child.Done()
		s.derived = child.Err()
		s.kept = ctx
		got <- s
		return nil
	}})
	r.MarkStarted()
	// The request is cancelled, with a cause, before the probe: the call,
	// which other probes may share, must not end with it.
	parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), key{}, "v"))
	cancel(errors.New("client went away"))
	start := clock.Now()
	r.Evaluate(parent, Readiness) //nolint:errcheck // the probe answers "canceled" at once; the call goes on
	s := <-got
	if !s.hasDL || !s.deadline.Equal(start.Add(timeout)) {
		t.Errorf("Deadline = %v, %v; want %v", s.deadline, s.hasDL, start.Add(timeout))
	}
	if s.value != "v" {
		t.Errorf("Value = %v, want the request's", s.value)
	}
	// At the start the call has not ended, unless a loaded machine let its
	// deadline pass already; never with the request's end.
	if (s.err != nil || s.cause != nil) && (!errors.Is(s.err, context.DeadlineExceeded) || !errors.Is(s.cause, context.DeadlineExceeded)) {
		t.Errorf("Err, Cause at the start = %v, %v; want nil or DeadlineExceeded: the request's end is not the call's", s.err, s.cause)
	}
	if !errors.Is(s.expired, context.DeadlineExceeded) || !errors.Is(s.derived, context.DeadlineExceeded) {
		t.Errorf("at the deadline: Err = %v, derived Err = %v; want DeadlineExceeded", s.expired, s.derived)
	}
	<-s.kept.Done() // a kept context is done once the call is over
}

// TestCallContextCancelledOnReturn: a check that returns before its
// deadline leaves a context that is cancelled, whether the check looked
// at it during the call or only afterwards.
func TestCallContextCancelledOnReturn(t *testing.T) {
	t.Parallel()
	for _, look := range []bool{false, true} {
		r := newTestRegistry(t, Options{})
		kept := make(chan context.Context, 1)
		_ = r.Register(Check{Name: "db", Timeout: time.Hour, Check: func(ctx context.Context) error {
			if look {
				_ = ctx.Done()
			}
			kept <- ctx
			return nil
		}})
		r.MarkStarted()
		_, _ = r.Evaluate(context.Background(), Readiness)
		ctx := <-kept
		<-ctx.Done()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("looked during the call %v: Err = %v, want Canceled", look, ctx.Err())
		}
	}
}

// TestCallContextCause: context.Cause of an ended call context is the
// call's own end, never the cause with which the probe's request ended,
// whichever way the context package looks for it.
func TestCallContextCause(t *testing.T) {
	t.Parallel()
	if cancelCtxKey == nil {
		t.Fatal("the context package's cancellation key was not learned")
	}
	parent, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("client went away"))
	for _, background := range []bool{false, true} {
		r := &run{parent: parent, deadline: time.Now().Add(-time.Second), background: background}
		if !background {
			if err, cause := r.Err(), context.Cause(r); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(cause, context.DeadlineExceeded) {
				t.Errorf("probe call past its deadline: Err, Cause = %v, %v; want DeadlineExceeded", err, cause)
			}
			continue
		}
		// A background call ends with its parent (the registry's context).
		if cause := context.Cause(r); cause == nil || cause.Error() != "client went away" {
			t.Errorf("background call: Cause = %v, want the parent's", cause)
		}
	}
}
