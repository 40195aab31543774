package otelhealth

import (
	"context"
	"sync"
	"testing"

	"github.com/probekit/probekit/core"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// The zero Options use the global providers, as otelhttp does, under this
// package's import path as the instrumentation scope. Not parallel: it sets
// the globals.
func TestOptionsDefaultToGlobalProviders(t *testing.T) {
	s := newSDK(t)
	otel.SetTracerProvider(s.opts.TracerProvider)
	otel.SetMeterProvider(s.opts.MeterProvider)
	t.Cleanup(func() {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
	})
	h := newRegistry(t, core.Options{})
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	tel, err := New(h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Close()
	_, _ = h.Evaluate(context.Background(), core.Readiness)

	spans := s.ended("check db")
	if len(spans) != 1 {
		t.Fatalf("%d spans on the global tracer provider, want 1", len(spans))
	}
	if got := spans[0].InstrumentationScope().Name; got != ScopeName {
		t.Errorf("span scope %q, want %q", got, ScopeName)
	}
	if _, ok := s.collect(t)[MetricCheckUp]; !ok {
		t.Errorf("%s not on the global meter provider", MetricCheckUp)
	}
}

// Results of many checks, transitions and collections at once: the race
// detector checks the observer's locking.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{})
	for _, name := range []string{"a", "b", "c", "d"} {
		if err := h.Register(core.Check{Name: name, Check: func(context.Context) error { return nil }}); err != nil {
			t.Fatal(err)
		}
	}
	s.attach(t, h)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 20 {
				_, _ = h.Evaluate(context.Background(), core.Readiness, []string{"a", "b", "c", "d"}[i])
				h.Notify(core.Transition{Component: "breaker", Name: "x", From: "closed", To: "open"})
				s.collect(t)
			}
		})
	}
	wg.Wait()
	// Concurrent evaluations share runs, so the number of runs varies; each
	// run is one span and one count.
	runs, _ := value(t, s.collect(t)[MetricCheckRuns], map[attribute.Key]string{CheckNameKey: "a", CheckResultKey: "ok"})
	if n := len(s.ended("check a")); n == 0 || float64(n) != runs {
		t.Errorf("check a: %d spans and %v runs counted, want as many, at least 1", n, runs)
	}
}
