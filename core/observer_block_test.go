package core

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// blocking is an observer that never returns from a transition: a careless
// `ch <- t` to a channel whose reader is gone.
type blocking struct{ release chan struct{} }

func (blocking) ObserveResult(Result) {}
func (o blocking) ObserveTransition(Transition) {
	<-o.release
}

// An observer that never returns must not hold up a probe past the check
// timeout, nor stop the shutdown sequence.
func TestBlockingObserverDoesNotWedge(t *testing.T) {
	t.Parallel()
	o := blocking{release: make(chan struct{})}
	defer close(o.release)
	r, err := New(Options{Observers: []Observer{o}, Logger: discardLogger(), PropagationDelay: time.Nanosecond, DefaultTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Register(Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		done <- r.Probe(context.Background(), ProbeRequest{Method: http.MethodGet, Kind: Readiness}).Code
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("probe blocked by an observer")
	}
	errc := make(chan error, 1)
	go func() { errc <- r.Shutdown(context.Background(), nil) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Shutdown = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Shutdown blocked by an observer")
	}
}

// A shutdown hook that ignores its context must not hold Shutdown past
// HookTimeout: the hook is reported and abandoned, the sequence ends.
func TestHookIgnoringContextDoesNotWedgeShutdown(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	r, err := New(Options{Logger: discardLogger(), PropagationDelay: time.Nanosecond, HookTimeout: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	if err := r.OnShutdown("first", func(context.Context) error { close(ran); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.OnShutdown("stuck", func(context.Context) error { <-release; return nil }); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- r.Shutdown(context.Background(), nil) }()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), `"stuck"`) {
			t.Errorf("Shutdown = %v, want an error naming the stuck hook", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Shutdown blocked by a hook that ignores its context")
	}
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Error("the hook after the stuck one did not run")
	}
	if got := r.State(); got != StateStopped {
		t.Errorf("state = %v, want stopped", got)
	}
}

// A hook registered once the sequence has run the hooks would never run:
// OnShutdown says so instead of accepting it.
func TestOnShutdownAfterHooksRanIsAnError(t *testing.T) {
	t.Parallel()
	r, err := New(Options{Logger: discardLogger(), PropagationDelay: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.OnShutdown("early", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	err = r.OnShutdown("late", func(context.Context) error { return nil })
	if !errors.Is(err, ErrShutdownInProgress) {
		t.Fatalf("OnShutdown after the hooks ran = %v, want ErrShutdownInProgress", err)
	}
}
