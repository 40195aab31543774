package core

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
)

// gauge is an observer that, on every result, re-evaluates readiness to
// export it as a gauge: a natural thing for a careless user to write.
type gauge struct{ r *Registry }

func (g gauge) ObserveResult(Result) {
	_, _ = g.r.Evaluate(context.Background(), Readiness)
}
func (gauge) ObserveTransition(Transition) {}

// An observer that evaluates the registry from ObserveResult must not set
// off a chain of check runs that never ends.
func TestObserverEvaluatingDoesNotLoop(t *testing.T) {
	t.Parallel()
	g := &gauge{}
	r, err := New(Options{Observers: []Observer{g}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	g.r = r
	var runs atomic.Int64
	if err := r.Register(Check{Name: "db", Check: func(context.Context) error { runs.Add(1); return nil }}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	r.Probe(context.Background(), ProbeRequest{Method: http.MethodGet, Kind: Readiness})
	// The probe returns once observers have seen its result: the
	// observer's evaluation joined the call that had just ended.
	if n := runs.Load(); n != 1 {
		t.Errorf("%d runs of the check for one probe, want 1", n)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close = %v, want nil: calls still running", err)
	}
}
