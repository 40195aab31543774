package grpchealth_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/grpchealth"
)

// transitions records the shutdown transitions a registry reports.
type transitions struct {
	mu  sync.Mutex
	got []core.Transition
}

func (*transitions) ObserveResult(core.Result) {}

func (o *transitions) ObserveTransition(t core.Transition) {
	if t.Component != "shutdown" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, t)
}

// RPCs canceled at the drain timeout are an abandoned drain for everyone
// who watches the sequence, not only for Serve's caller: observers (the
// promhealth counter of abandoned requests) hear of it once, with the
// count, and the error says the graceful stop timed out.
func TestServeDrainTimeoutObserved(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{DrainTimeout: 50 * time.Millisecond})
	obs := &transitions{}
	if _, err := e.h.AddObserver(obs); err != nil {
		t.Fatal(err)
	}
	e.h.MarkStarted()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- grpchealth.Serve(ctx, e.g, e.ln, e.hs) }()
	results := e.inFlight(t, 1, 1)
	cancel()
	err := <-served
	for range 2 {
		<-results
	}
	var dte *core.DrainTimeoutError
	if !errors.As(err, &dte) || !dte.StopTimedOut || dte.Abandoned != 2 {
		t.Errorf("Serve = %v, want a *core.DrainTimeoutError with StopTimedOut and 2 abandoned", err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	var abandoned []core.Transition
	for _, tr := range obs.got {
		if tr.Name == "drain" && tr.To == "abandoned" {
			abandoned = append(abandoned, tr)
		}
	}
	if len(abandoned) != 1 {
		t.Fatalf("observers heard of %d abandoned drains, want 1: %+v", len(abandoned), obs.got)
	}
	var odte *core.DrainTimeoutError
	if !errors.As(abandoned[0].Err, &odte) || odte.Abandoned != 2 {
		t.Errorf("abandoned transition = %+v, want 2 requests abandoned", abandoned[0])
	}
}
