package otelhealth

import (
	"context"
	"errors"
	"testing"

	"github.com/probekit/probekit/core"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// point is one data point, reduced to what the tests compare.
type point struct {
	attrs map[attribute.Key]string
	value float64
}

// points returns the data points of m, whatever its type (a histogram's
// value is its count).
func points(t *testing.T, m metricdata.Metrics) []point {
	t.Helper()
	var out []point
	switch d := m.Data.(type) {
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			out = append(out, point{attrs(p.Attributes.ToSlice()), p.Value})
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			out = append(out, point{attrs(p.Attributes.ToSlice()), float64(p.Value)})
		}
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, point{attrs(p.Attributes.ToSlice()), float64(p.Value)})
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, point{attrs(p.Attributes.ToSlice()), float64(p.Count)})
		}
	default:
		t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
	}
	return out
}

// value returns the value of the point of m whose attributes include want.
func value(t *testing.T, m metricdata.Metrics, want map[attribute.Key]string) (float64, bool) {
	t.Helper()
	for _, p := range points(t, m) {
		match := true
		for k, v := range want {
			match = match && p.attrs[k] == v
		}
		if match {
			return p.value, true
		}
	}
	return 0, false
}

// The same measurements as promhealth's, as OpenTelemetry instruments:
// per check up, duration, runs by result, consecutive failures and last
// success; the lifecycle state, the requests in flight and breaker states.
func TestMetrics(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{})
	for _, c := range []core.Check{
		{Name: "ok", Check: func(context.Context) error { return nil }},
		{Name: "replica", Check: func(context.Context) error { return core.Degraded("replica lag", nil) }},
		{Name: "db", Check: func(context.Context) error { return errors.New("connection refused") }},
		// An optional check's failure degrades its probes: 0.5, as promhealth says.
		{Name: "search", Optional: true, Check: func(context.Context) error { return errors.New("connection refused") }},
	} {
		if err := h.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	rec := &results{by: make(map[string][]core.Result)}
	if _, err := h.AddObserver(rec); err != nil {
		t.Fatal(err)
	}
	s.attach(t, h)
	h.MarkStarted()
	for range 2 {
		_, _ = h.Evaluate(context.Background(), core.Readiness)
	}
	h.InFlight().Enter()
	h.InFlight().Enter()
	defer h.InFlight().Leave()
	defer h.InFlight().Leave()
	h.Notify(core.Transition{Component: "breaker", Name: "payments", From: "closed", To: "open"})

	got := s.collect(t)
	for name, unit := range map[string]string{
		MetricCheckUp: "1", MetricCheckDuration: "s", MetricCheckRuns: "{run}",
		MetricCheckConsecutiveFailures: "{failure}", MetricCheckLastSuccess: "s",
		MetricLifecycleState: "1", MetricInflightRequests: "{request}", MetricBreakerState: "1",
	} {
		if m, ok := got[name]; !ok || m.Unit != unit || m.Description == "" {
			t.Errorf("%s: present %v, unit %q, description %q; want unit %q and a description", name, ok, m.Unit, m.Description, unit)
		}
	}
	lastOK := rec.by["ok"][1].LastSuccess
	for _, tc := range []struct {
		metric string
		attrs  map[attribute.Key]string
		want   float64
		absent bool
	}{
		{metric: MetricCheckUp, attrs: map[attribute.Key]string{CheckNameKey: "ok"}, want: 1},
		{metric: MetricCheckUp, attrs: map[attribute.Key]string{CheckNameKey: "replica"}, want: 0.5},
		{metric: MetricCheckUp, attrs: map[attribute.Key]string{CheckNameKey: "db"}, want: 0},
		{metric: MetricCheckUp, attrs: map[attribute.Key]string{CheckNameKey: "search"}, want: 0.5},
		{metric: MetricCheckRuns, attrs: map[attribute.Key]string{CheckNameKey: "ok", CheckResultKey: "ok"}, want: 2},
		{metric: MetricCheckRuns, attrs: map[attribute.Key]string{CheckNameKey: "replica", CheckResultKey: "degraded"}, want: 2},
		{metric: MetricCheckRuns, attrs: map[attribute.Key]string{CheckNameKey: "db", CheckResultKey: "unavailable"}, want: 2},
		{metric: MetricCheckRuns, attrs: map[attribute.Key]string{CheckNameKey: "db", CheckResultKey: "ok"}, absent: true},
		{metric: MetricCheckDuration, attrs: map[attribute.Key]string{CheckNameKey: "db", CheckResultKey: "unavailable"}, want: 2},
		{metric: MetricCheckConsecutiveFailures, attrs: map[attribute.Key]string{CheckNameKey: "db"}, want: 2},
		{metric: MetricCheckConsecutiveFailures, attrs: map[attribute.Key]string{CheckNameKey: "ok"}, want: 0},
		{metric: MetricCheckLastSuccess, attrs: map[attribute.Key]string{CheckNameKey: "ok"}, want: float64(lastOK.UnixNano()) / 1e9},
		{metric: MetricCheckLastSuccess, attrs: map[attribute.Key]string{CheckNameKey: "db"}, absent: true},
		{metric: MetricLifecycleState, attrs: map[attribute.Key]string{LifecycleStateKey: "ready"}, want: 1},
		{metric: MetricLifecycleState, attrs: map[attribute.Key]string{LifecycleStateKey: "starting"}, want: 0},
		{metric: MetricLifecycleState, attrs: map[attribute.Key]string{LifecycleStateKey: "draining"}, want: 0},
		{metric: MetricLifecycleState, attrs: map[attribute.Key]string{LifecycleStateKey: "stopped"}, want: 0},
		{metric: MetricInflightRequests, attrs: nil, want: 2},
		{metric: MetricBreakerState, attrs: map[attribute.Key]string{BreakerNameKey: "payments", BreakerStateKey: "open"}, want: 1},
		{metric: MetricBreakerState, attrs: map[attribute.Key]string{BreakerNameKey: "payments", BreakerStateKey: "closed"}, want: 0},
		{metric: MetricBreakerState, attrs: map[attribute.Key]string{BreakerNameKey: "payments", BreakerStateKey: "half-open"}, want: 0},
	} {
		v, ok := value(t, got[tc.metric], tc.attrs)
		switch {
		case tc.absent && ok:
			t.Errorf("%s%v = %v, want no such series", tc.metric, tc.attrs, v)
		case !tc.absent && (!ok || v != tc.want):
			t.Errorf("%s%v = %v (present %v), want %v", tc.metric, tc.attrs, v, ok, tc.want)
		}
	}
	if n := len(points(t, got[MetricLifecycleState])); n != 4 {
		t.Errorf("%s has %d series, want one per state (4)", MetricLifecycleState, n)
	}
}
