package core

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// returnWithin is how long these tests wait for a shutdown that must end;
// it only expires when the sequence is wedged.
const returnWithin = 20 * time.Second

// A hook that ignores its context (a client Close that blocks on a dead
// peer) wedged Shutdown for good: callHook waited for it with no deadline,
// so HookTimeout bounded nothing and Run never returned, not even on a
// second signal. It is now abandoned at the hook timeout and reported; the
// hooks after it still run.
func TestHookIgnoringItsContextIsAbandoned(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond, HookTimeout: 50 * time.Millisecond})
	release := make(chan struct{})
	defer close(release) // the abandoned hook's goroutine ends with the test
	ranAfter := make(chan struct{})
	_ = r.OnShutdown("after", func(context.Context) error { close(ranAfter); return nil })
	_ = r.OnShutdown("stuck", func(context.Context) error { <-release; return nil })

	done := make(chan error, 1)
	go func() { done <- r.Shutdown(context.Background(), nil) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(returnWithin):
		t.Fatalf("Shutdown has not returned %v after a hook timeout of 50ms: a hook that ignores its context wedges it", returnWithin)
	}
	if err == nil || !strings.Contains(err.Error(), `shutdown hook "stuck"`) || !errors.Is(err, ErrHookAbandoned) {
		t.Errorf("Shutdown = %v, want the hook \"stuck\" reported abandoned (ErrHookAbandoned)", err)
	}
	select {
	case <-ranAfter:
	default:
		t.Error("the hook after the stuck one did not run")
	}
	if r.State() != StateStopped {
		t.Errorf("state = %v, want stopped", r.State())
	}
}

// The same through Run: with a hook that ignores its context, Run must
// still return once the hook timeout has passed.
func TestRunReturnsPastAStuckHook(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond, HookTimeout: 50 * time.Millisecond})
	release := make(chan struct{})
	defer close(release)
	_ = r.OnShutdown("stuck", func(context.Context) error { <-release; return nil })
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- r.Run(ctx, func() error { <-stopped; return http.ErrServerClosed },
			func(context.Context) error { close(stopped); return nil })
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, ErrHookAbandoned) {
			t.Errorf("Run = %v, want ErrHookAbandoned", err)
		}
	case <-time.After(returnWithin):
		t.Fatalf("Run has not returned %v after a hook timeout of 50ms", returnWithin)
	}
}

// A graceful stop that ignores its context (user code given to Run or
// Shutdown) held the sequence for good: drain called it with no deadline of
// its own. It is now abandoned at the drain timeout like a stop that timed
// out.
func TestStopIgnoringItsContextIsAbandoned(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond, DrainTimeout: 50 * time.Millisecond})
	release := make(chan struct{})
	defer close(release)
	done := make(chan error, 1)
	go func() {
		done <- r.Shutdown(context.Background(), func(context.Context) error { <-release; return nil })
	}()
	select {
	case err := <-done:
		var dte *DrainTimeoutError
		if !errors.As(err, &dte) || !dte.StopTimedOut {
			t.Errorf("Shutdown = %v, want a DrainTimeoutError with StopTimedOut", err)
		}
	case <-time.After(returnWithin):
		t.Fatalf("Shutdown has not returned %v after a drain timeout of 50ms: a stop that ignores its context wedges it", returnWithin)
	}
}

// A sequence started by StartShutdown (a preStop handler; its stop is nil)
// ran the hooks as soon as the in-flight count was zero, without waiting for
// the Run that follows it to stop its server: the hooks closed the database
// while that server still accepted requests (48 times in 50). The sequence
// now waits, within the drain timeout, for every Run on the registry to have
// stopped its server before the hooks run.
func TestHooksRunAfterEveryServerStopped(t *testing.T) {
	t.Parallel()
	for i := range 20 { // the old order lost a race that it usually lost
		r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond, DrainTimeout: returnWithin})
		var stopReturned, hookSaw atomic.Bool
		_ = r.OnShutdown("db", func(context.Context) error { hookSaw.Store(stopReturned.Load()); return nil })
		served := make(chan struct{})
		stopped := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- r.Run(context.Background(), func() error { close(served); <-stopped; return http.ErrServerClosed },
				func(context.Context) error { close(stopped); stopReturned.Store(true); return nil })
		}()
		<-served
		if err := r.StartShutdown(); err != nil {
			t.Fatalf("StartShutdown = %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
		case <-time.After(returnWithin):
			t.Fatalf("Run has not returned within %v", returnWithin)
		}
		if !hookSaw.Load() {
			t.Fatalf("try %d: the hooks ran before the Run following the sequence had stopped its server", i)
		}
	}
}

// A graceful stop that panics (user code given to Run) unwound through Run
// into its caller; it is now contained like a hook and reported.
func TestPanickingStopIsReported(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stopped := make(chan struct{})
	var err error
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("Run panicked: %v", v)
			}
		}()
		err = r.Run(ctx, func() error { <-stopped; return http.ErrServerClosed },
			func(context.Context) error { close(stopped); panic("stop broke") })
	}()
	if err == nil || !strings.Contains(err.Error(), "core: stop serving: panic: stop broke") {
		t.Errorf("Run = %v, want the stop's panic reported", err)
	}
	if r.State() != StateStopped {
		t.Errorf("state = %v, want stopped", r.State())
	}
}

// A server whose Serve returns only once its graceful stop has finished,
// and whose stop ignores contexts (grpc.Server: Serve blocks until
// GracefulStop is done; GracefulStop waits for every stream): the stop was
// abandoned at the drain timeout, but Run then waited for serve for good.
// Run now returns with the stop reported as timed out.
func TestRunReturnsWhenServeWaitsForAnAbandonedStop(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond, DrainTimeout: 50 * time.Millisecond})
	release := make(chan struct{})
	defer close(release) // the stream the stop waits for ends with the test
	stopped := make(chan struct{})
	serve := func() error { <-stopped; return nil }
	stop := func(context.Context) error { <-release; close(stopped); return nil }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, serve, stop) }()
	cancel()
	select {
	case err := <-done:
		var dte *DrainTimeoutError
		if !errors.As(err, &dte) || !dte.StopTimedOut {
			t.Errorf("Run = %v, want a DrainTimeoutError with StopTimedOut", err)
		}
	case <-time.After(returnWithin):
		t.Fatalf("Run has not returned %v after a drain timeout of 50ms: it waits for a serve that waits for the abandoned stop", returnWithin)
	}
}
