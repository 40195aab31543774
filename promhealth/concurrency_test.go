package promhealth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/prometheus/client_golang/prometheus"
)

// A scrape whose reader stalls (a slow client behind promhttp) must not
// hold up the registry's observers: a breaker's transition is recorded
// while Collect waits to send.
func TestStalledScrapeBlocksNoObserver(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	c := newCollector(t, h, Options{})
	h.Notify(core.Transition{Component: "breaker", Name: "pg", From: "closed", To: "open"})
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	ch := make(chan prometheus.Metric) // nobody reads until the end
	collected := make(chan struct{})
	go func() { // owned by this test: ends once ch is drained below
		defer close(collected)
		c.Collect(ch)
	}()
	for range 6 { // lifecycle (4), in-flight, abandoned: Collect is past the lock, blocked on its next send
		<-ch
	}
	done := make(chan struct{})
	go func() { // ends when the observers return
		defer close(done)
		h.Notify(core.Transition{Component: "breaker", Name: "pg", From: "open", To: "half-open"})
		h.Notify(core.Transition{Component: "breaker", Name: "redis", From: "closed", To: "open"}) // a new breaker: the write lock
		if _, err := h.Evaluate(context.Background(), core.Readiness); err != nil {                // a check the collector had not seen
			t.Error(err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("observers still blocked 10s after a scrape stalled")
	}
	for {
		select {
		case <-ch:
			continue
		case <-collected:
		}
		break
	}
	<-done
}

// Results, transitions and scrapes at once: the race detector's case.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	c := newCollector(t, h, Options{})
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	o := observer{c}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				name := fmt.Sprintf("check-%d", (w+i)%7)
				res := core.Result{Name: name, Duration: time.Duration(i) * time.Millisecond}
				if i%3 == 0 {
					res.Err, res.Status = errors.New("down"), core.StatusUnavailable
				}
				o.ObserveResult(res)
				o.ObserveTransition(core.Transition{Component: "check", Name: name, To: "ok"})
				o.ObserveTransition(core.Transition{Component: "breaker", Name: fmt.Sprintf("b%d", i%5), To: breakerStates[i%3]})
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "probekit_check_runs_total" {
			var total float64
			for _, m := range mf.GetMetric() {
				total += m.GetCounter().GetValue()
			}
			if total != 800 {
				t.Errorf("runs_total sums to %v, want 800", total)
			}
		}
	}
}
