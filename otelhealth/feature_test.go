package otelhealth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// probekit.feature.enabled follows each feature, with whether it is forced.
func TestFeatureMetric(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{})
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return errors.New("down") }})
	recs, err := h.Feature(core.FeatureOptions{Name: "recs", Checks: []string{"db"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Feature(core.FeatureOptions{Name: "uploads", Checks: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	s.attach(t, h)
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	if err := recs.Force(core.ForceOptions{On: true, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	m, ok := s.collect(t)[MetricFeatureEnabled]
	if !ok || m.Unit != "1" || m.Description == "" {
		t.Fatalf("%s: present %v, unit %q, description %q", MetricFeatureEnabled, ok, m.Unit, m.Description)
	}
	got := map[string]string{}
	for _, p := range m.Data.(metricdata.Gauge[int64]).DataPoints {
		a := attrs(p.Attributes.ToSlice())
		v := "off"
		if p.Value == 1 {
			v = "on"
		}
		got[a[FeatureNameKey]] = v + " forced=" + a[FeatureForcedKey]
	}
	want := map[string]string{"recs": "on forced=true", "uploads": "off forced=false"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}
