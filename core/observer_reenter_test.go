package core

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// reentrant is an observer that probes its own registry on every lifecycle
// transition, as a module mirroring the probes (a gRPC health server, a
// status page) would.
type reentrant struct {
	r    *Registry
	kind Kind
	got  chan int
}

func (o *reentrant) ObserveResult(Result) {}

func (o *reentrant) ObserveTransition(t Transition) {
	if t.Component != "lifecycle" {
		return
	}
	res := o.r.Probe(context.Background(), ProbeRequest{Method: http.MethodGet, Kind: o.kind})
	select {
	case o.got <- res.Code:
	default:
	}
}

// An observer that probes the registry from a transition must not wedge the
// probe that caused the transition, nor every probe after it.
func TestObserverProbingFromTransitionDoesNotWedge(t *testing.T) {
	t.Parallel()
	for _, kind := range []Kind{Readiness, Startup} {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			o := &reentrant{kind: kind, got: make(chan int, 1)}
			r, err := New(Options{Observers: []Observer{o}, Logger: discardLogger()})
			if err != nil {
				t.Fatal(err)
			}
			o.r = r
			// Only background checks (or none): the probe takes the cached path.
			done := make(chan int, 1)
			go func() {
				done <- r.Probe(context.Background(), ProbeRequest{Method: http.MethodGet, Kind: kind}).Code
			}()
			select {
			case code := <-done:
				if code != http.StatusOK {
					t.Errorf("probe = %d, want 200", code)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the probe that moved Starting to Ready never returned")
			}
			if code := <-o.got; code != http.StatusOK {
				t.Errorf("the observer's probe = %d, want 200", code)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
