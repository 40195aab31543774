package otelhealth

import (
	"context"
	"fmt"

	"github.com/probekit/probekit/core"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The metrics, named after OpenTelemetry's conventions (dotted namespaces,
// UCUM units, no unit or "_total" in the name): a Prometheus exporter turns
// probekit.check.duration into probekit_check_duration_seconds.
const (
	// MetricCheckUp is 1 while a check reports ok, 0.5 degraded (or an
	// optional check fails: it degrades its probes), 0 unavailable (its
	// reported status, after the thresholds).
	MetricCheckUp = "probekit.check.up"
	// MetricCheckDuration is a histogram of check run durations, in
	// seconds, by check and run result.
	MetricCheckDuration = "probekit.check.duration"
	// MetricCheckRuns counts check runs by check and run result.
	MetricCheckRuns = "probekit.check.runs"
	// MetricCheckConsecutiveFailures is the number of failed runs since the
	// last success.
	MetricCheckConsecutiveFailures = "probekit.check.consecutive_failures"
	// MetricCheckLastSuccess is when a check last succeeded, in seconds
	// since the Unix epoch; absent until it has.
	MetricCheckLastSuccess = "probekit.check.last_success.timestamp"
	// MetricLifecycleState is 1 for the service's current lifecycle state
	// and 0 for the others, one series per state (the state-set shape of
	// the hw.status convention).
	MetricLifecycleState = "probekit.lifecycle.state"
	// MetricInflightRequests is the number of requests in flight through
	// the registry's drain middleware, which shutdown waits for.
	MetricInflightRequests = "probekit.inflight_requests"
	// MetricBreakerState is 1 for a breaker's current state and 0 for the
	// others ("closed", "half-open", "open"), for each breaker that has
	// reported a transition to one of those through the registry's Notify
	// (at most 1000 breakers).
	MetricBreakerState = "probekit.breaker.state"
	// MetricFeatureEnabled is 1 while a feature (core.Feature) is enabled
	// and 0 while it is off, with FeatureNameKey and FeatureForcedKey (true
	// while an operator forces it), read from the registry's features.
	MetricFeatureEnabled = "probekit.feature.enabled"
	// MetricCheckDrill is 1 while an operator drills a check
	// (core.Registry.Drill) and 0 otherwise; during a drill
	// probekit.check.up shows the status the drill makes the check report.
	MetricCheckDrill = "probekit.check.drill"
)

// durationBuckets are the bucket bounds, in seconds, of
// probekit.check.duration: those of OpenTelemetry's http.server.request.duration
// below one second, where check timeouts live, then a few above for checks
// given longer timeouts.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10}

// lifecycleStates are the values of LifecycleStateKey, in core.State order.
var lifecycleStates = [...]core.State{core.StateStarting, core.StateReady, core.StateDraining, core.StateStopped}

// breakerStates are the values of BreakerStateKey.
var breakerStates = [...]string{"closed", "half-open", "open"}

// instruments are the observer's metric instruments.
type instruments struct {
	duration    metric.Float64Histogram
	runs        metric.Int64Counter
	up          metric.Float64ObservableGauge
	failures    metric.Int64ObservableGauge
	lastSuccess metric.Float64ObservableGauge
	lifecycle   metric.Int64ObservableGauge
	inflight    metric.Int64ObservableUpDownCounter
	breaker     metric.Int64ObservableGauge
	feature     metric.Int64ObservableGauge
	drill       metric.Int64ObservableGauge
	byLifecycle [len(lifecycleStates)][]metric.ObserveOption
}

// measureOptions are the options of one run result's measurements, made
// once per check and result so that recording allocates nothing.
type measureOptions struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

// instrument makes the instruments on m and registers the callback of the
// observable ones.
func (o *observer) instrument(m metric.Meter) (metric.Registration, error) {
	in := &o.inst
	var err error
	wrap := func(name string, e error) {
		if e != nil && err == nil {
			err = fmt.Errorf("otelhealth: New: instrument %s: %w", name, e)
		}
	}
	var e error
	in.duration, e = m.Float64Histogram(MetricCheckDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of health check runs, by check and run result."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	wrap(MetricCheckDuration, e)
	in.runs, e = m.Int64Counter(MetricCheckRuns, metric.WithUnit("{run}"),
		metric.WithDescription("Health check runs, by check and run result (ok, degraded, unavailable)."))
	wrap(MetricCheckRuns, e)
	in.up, e = m.Float64ObservableGauge(MetricCheckUp, metric.WithUnit("1"),
		metric.WithDescription("Reported status of each health check: 1 ok, 0.5 degraded (or an optional check failed), 0 unavailable."))
	wrap(MetricCheckUp, e)
	in.failures, e = m.Int64ObservableGauge(MetricCheckConsecutiveFailures, metric.WithUnit("{failure}"),
		metric.WithDescription("Failed runs of each health check since its last success."))
	wrap(MetricCheckConsecutiveFailures, e)
	in.lastSuccess, e = m.Float64ObservableGauge(MetricCheckLastSuccess, metric.WithUnit("s"),
		metric.WithDescription("When each health check last succeeded, in seconds since the Unix epoch."))
	wrap(MetricCheckLastSuccess, e)
	in.lifecycle, e = m.Int64ObservableGauge(MetricLifecycleState, metric.WithUnit("1"),
		metric.WithDescription("Lifecycle state of the service: 1 for the current state (starting, ready, draining, stopped), 0 for the others."))
	wrap(MetricLifecycleState, e)
	in.inflight, e = m.Int64ObservableUpDownCounter(MetricInflightRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Requests in flight through the drain middleware, which shutdown waits for."))
	wrap(MetricInflightRequests, e)
	in.breaker, e = m.Int64ObservableGauge(MetricBreakerState, metric.WithUnit("1"),
		metric.WithDescription("State of each circuit breaker: 1 for the current state (closed, half-open, open), 0 for the others."))
	wrap(MetricBreakerState, e)
	in.feature, e = m.Int64ObservableGauge(MetricFeatureEnabled, metric.WithUnit("1"),
		metric.WithDescription("Whether each feature is usable now: 1 on, 0 off (a check it follows failed, or an operator forced it off)."))
	wrap(MetricFeatureEnabled, e)
	in.drill, e = m.Int64ObservableGauge(MetricCheckDrill, metric.WithUnit("1"),
		metric.WithDescription("Whether an operator is drilling each health check: 1 while it reports the drill's status instead of its own, 0 otherwise."))
	wrap(MetricCheckDrill, e)
	if err != nil {
		return nil, err
	}
	for i, s := range lifecycleStates {
		in.byLifecycle[i] = []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(LifecycleStateKey.String(s.String())))}
	}
	reg, err := m.RegisterCallback(o.observe, in.up, in.failures, in.lastSuccess, in.lifecycle, in.inflight, in.breaker, in.feature, in.drill)
	if err != nil {
		return nil, fmt.Errorf("otelhealth: New: register callback: %w", err)
	}
	return reg, nil
}

// initMetrics makes the measurement options of the check called name.
func (e *checkEntry) initMetrics(name string) {
	for _, result := range []core.Status{core.StatusOK, core.StatusDegraded, core.StatusUnavailable} {
		opt := metric.WithAttributeSet(attribute.NewSet(CheckNameKey.String(name), CheckResultKey.String(result.String())))
		e.byResult[result] = measureOptions{add: []metric.AddOption{opt}, record: []metric.RecordOption{opt}}
	}
	e.observe = []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(CheckNameKey.String(name)))}
}

func newBreakerEntry(name string) *breakerEntry {
	b := &breakerEntry{}
	for i, s := range breakerStates {
		b.byState[i] = []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(BreakerNameKey.String(name), BreakerStateKey.String(s)))}
	}
	return b
}

// measure records one run in the synchronous instruments.
func (o *observer) measure(r core.Result, e *checkEntry, result core.Status) {
	opts := &e.byResult[result]
	ctx := context.Background()
	o.inst.runs.Add(ctx, 1, opts.add...)
	o.inst.duration.Record(ctx, r.Duration.Seconds(), opts.record...)
}

// up is the value of probekit.check.up for a reported status: an optional
// check's failure degrades its probes, so it is 0.5, as in promhealth.
func up(s core.Status, optional bool) float64 {
	switch {
	case s == core.StatusOK:
		return 1
	case s == core.StatusDegraded, optional:
		return 0.5
	}
	return 0
}

// observe is the callback of the observable instruments. It reads what the
// observer remembers and two atomics of the registry; it never runs a check.
func (o *observer) observe(_ context.Context, m metric.Observer) error {
	in := &o.inst
	state := o.h.State()
	for i, s := range lifecycleStates {
		var v int64
		if s == state {
			v = 1
		}
		m.ObserveInt64(in.lifecycle, v, in.byLifecycle[i]...)
	}
	m.ObserveInt64(in.inflight, o.h.InFlight().Count())
	for _, f := range o.h.Features() {
		st := f.State()
		var v int64
		if st.Enabled {
			v = 1
		}
		m.ObserveInt64(in.feature, v, metric.WithAttributes(FeatureNameKey.String(st.Name), FeatureForcedKey.Bool(st.Forced != nil)))
	}

	var drilled map[string]core.Status // nil unless a drill is in effect
	for _, d := range o.h.Drills() {
		if drilled == nil {
			drilled = make(map[string]core.Status)
		}
		drilled[d.Check] = d.Status
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	for name, e := range o.checks {
		drill, drilling := drilled[name]
		var v int64
		if drilling {
			v = 1
		}
		m.ObserveInt64(in.drill, v, e.observe...)
		if !e.seen {
			continue
		}
		status := e.status
		if drilling {
			status = max(status, drill) // a drill never hides a real failure
		}
		m.ObserveFloat64(in.up, up(status, e.optional), e.observe...)
		m.ObserveInt64(in.failures, int64(e.failures), e.observe...)
		if !e.lastSuccess.IsZero() {
			m.ObserveFloat64(in.lastSuccess, float64(e.lastSuccess.UnixNano())/1e9, e.observe...)
		}
	}
	for _, b := range o.breakers {
		for i, s := range breakerStates {
			var v int64
			if s == b.state {
				v = 1
			}
			m.ObserveInt64(in.breaker, v, b.byState[i]...)
		}
	}
	return nil
}
