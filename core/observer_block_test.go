package core

import (
	"context"
	"net/http"
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
