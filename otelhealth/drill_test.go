package otelhealth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// probekit.check.drill follows a drill, and probekit.check.up shows the
// drill's status meanwhile.
func TestDrillMetric(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{})
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }})
	_ = h.Register(core.Check{Name: "cache", Check: func(context.Context) error { return nil }})
	s.attach(t, h)
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	if err := h.Drill("db", core.DrillOptions{Status: core.StatusDegraded, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = h.EndDrill("db", "alice") }()
	got := s.collect(t)
	drill, ok := got[MetricCheckDrill]
	if !ok || drill.Unit != "1" || drill.Description == "" {
		t.Fatalf("%s: present %v, unit %q, description %q", MetricCheckDrill, ok, drill.Unit, drill.Description)
	}
	drills := map[string]int64{}
	for _, p := range drill.Data.(metricdata.Gauge[int64]).DataPoints {
		drills[attrs(p.Attributes.ToSlice())[CheckNameKey]] = p.Value
	}
	ups := map[string]float64{}
	for _, p := range got[MetricCheckUp].Data.(metricdata.Gauge[float64]).DataPoints {
		ups[attrs(p.Attributes.ToSlice())[CheckNameKey]] = p.Value
	}
	if drills["db"] != 1 || drills["cache"] != 0 || ups["db"] != 0.5 || ups["cache"] != 1 {
		t.Errorf("drill %v, up %v; want db drilled and degraded, cache neither", drills, ups)
	}
}

// A degraded drill on a check that really fails leaves probekit.check.up at
// 0: a drill never hides a real failure.
func TestDegradedDrillKeepsRealFailure(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{})
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return errors.New("connection refused") }})
	s.attach(t, h)
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	if err := h.Drill("db", core.DrillOptions{Status: core.StatusDegraded, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = h.EndDrill("db", "alice") }()
	got := s.collect(t)
	for _, p := range got[MetricCheckUp].Data.(metricdata.Gauge[float64]).DataPoints {
		if p.Value != 0 {
			t.Errorf("%s = %v during a degraded drill of a failing check, want 0", MetricCheckUp, p.Value)
		}
	}
}
