package otelhealth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// results records the results a registry delivers, by check.
type results struct {
	mu sync.Mutex
	by map[string][]core.Result
}

func (r *results) ObserveResult(res core.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.by[res.Name] = append(r.by[res.Name], res)
}

func (*results) ObserveTransition(core.Transition) {}

// secret is a password in the raw error of a check; it must reach no span.
const secret = "s3cret"

// Each run of a check is a span from the run's start to its end, with the
// check's attributes, the run's result, the reported status, the safe
// reason, status Error when the run failed, a transition event when the
// reported status changed and, for a run that returned an error, an
// exception event with its redacted text; the raw error text (here exposed
// by the registry) appears nowhere.
func TestCheckRunSpans(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{ExposeErrors: true, DefaultTimeout: 500 * time.Millisecond})
	refused := errors.New("dial postgres://app:" + secret + "@db:5432/orders: connection refused")
	var flaky atomic.Int32
	for _, c := range []core.Check{
		{Name: "ok", Check: func(context.Context) error { return nil }},
		{Name: "replica", Check: func(context.Context) error { return core.Degraded("replica lag", nil) }},
		{Name: "db", Check: func(context.Context) error { return refused }},
		{Name: "cache", Optional: true, Kinds: core.Liveness | core.Readiness, Timeout: 2 * time.Second,
			Check: func(context.Context) error { return refused }},
		// ok, then one failure under its threshold of 2: reported ok.
		{Name: "flaky", FailureThreshold: 2, Check: func(context.Context) error {
			if flaky.Add(1) > 1 {
				return refused
			}
			return nil
		}},
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

	type run struct {
		result, status, reason string
		failed                 bool
		transition             string // "from>to", or "" for none
	}
	for _, tc := range []struct {
		check, kind, timeout, critical string
		runs                           [2]run
	}{
		{"ok", "readyz", "0.5", "true", [2]run{
			{result: "ok", status: "ok", transition: "unknown>ok"},
			{result: "ok", status: "ok"},
		}},
		{"replica", "readyz", "0.5", "true", [2]run{
			{result: "degraded", status: "degraded", reason: "replica lag", transition: "unknown>degraded"},
			{result: "degraded", status: "degraded", reason: "replica lag"},
		}},
		{"db", "readyz", "0.5", "true", [2]run{
			{result: "unavailable", status: "unavailable", reason: "connection refused", failed: true, transition: "unknown>unavailable"},
			{result: "unavailable", status: "unavailable", reason: "connection refused", failed: true},
		}},
		{"cache", "livez|readyz", "2", "false", [2]run{
			{result: "unavailable", status: "unavailable", reason: "connection refused", failed: true, transition: "unknown>unavailable"},
			{result: "unavailable", status: "unavailable", reason: "connection refused", failed: true},
		}},
		{"flaky", "readyz", "0.5", "true", [2]run{
			{result: "ok", status: "ok", transition: "unknown>ok"},
			{result: "unavailable", status: "ok", reason: "connection refused", failed: true},
		}},
	} {
		t.Run(tc.check, func(t *testing.T) {
			spans := s.ended("check " + tc.check)
			res := rec.by[tc.check]
			if len(spans) != 2 || len(res) != 2 {
				t.Fatalf("%d spans and %d results, want 2 of each", len(spans), len(res))
			}
			for i, want := range tc.runs {
				sp, r := spans[i], res[i]
				if !sp.StartTime().Equal(r.Time.Add(-r.Duration)) || !sp.EndTime().Equal(r.Time) {
					t.Errorf("run %d: span %v..%v, want the run's %v..%v", i, sp.StartTime(), sp.EndTime(), r.Time.Add(-r.Duration), r.Time)
				}
				if sp.Parent().IsValid() {
					t.Errorf("run %d: span has a parent, want a root", i)
				}
				got := attrs(sp.Attributes())
				for k, v := range map[attribute.Key]string{
					CheckNameKey: tc.check, CheckKindKey: tc.kind, CheckTimeoutKey: tc.timeout, CheckCriticalKey: tc.critical,
					CheckResultKey: want.result, CheckStatusKey: want.status, CheckReasonKey: want.reason,
				} {
					if got[k] != v {
						t.Errorf("run %d: %s = %q, want %q", i, k, got[k], v)
					}
				}
				if _, ok := got[CheckDurationKey]; !ok {
					t.Errorf("run %d: no %s", i, CheckDurationKey)
				}
				wantCode, wantDesc := codes.Unset, ""
				if want.failed {
					wantCode, wantDesc = codes.Error, want.reason
				}
				if st := sp.Status(); st.Code != wantCode || st.Description != wantDesc {
					t.Errorf("run %d: status %v %q, want %v %q", i, st.Code, st.Description, wantCode, wantDesc)
				}
				var transition, exception string
				for _, ev := range sp.Events() {
					a := attrs(ev.Attributes)
					switch ev.Name {
					case EventCheckTransition:
						transition = a[TransitionFromKey] + ">" + a[TransitionToKey]
					case "exception":
						exception = a["exception.message"]
					}
				}
				if transition != want.transition {
					t.Errorf("run %d: transition event %q, want %q", i, transition, want.transition)
				}
				wantException := ""
				switch {
				case want.failed:
					wantException = "dial postgres://[redacted]@db:5432/orders: connection refused"
				case want.result == "degraded":
					wantException = want.reason
				}
				if exception != wantException {
					t.Errorf("run %d: exception.message %q, want %q", i, exception, wantException)
				}
				assertNoSecret(t, sp)
			}
		})
	}
}

// assertNoSecret fails t if secret is in any attribute of sp or its events.
func assertNoSecret(t *testing.T, sp sdktrace.ReadOnlySpan) {
	t.Helper()
	all := append([]attribute.KeyValue(nil), sp.Attributes()...)
	for _, ev := range sp.Events() {
		all = append(all, ev.Attributes...)
	}
	for _, kv := range all {
		if strings.Contains(kv.Value.String(), secret) {
			t.Errorf("span %q: %s holds the secret: %q", sp.Name(), kv.Key, kv.Value.String())
		}
	}
	if strings.Contains(sp.Status().Description, secret) {
		t.Errorf("span %q: status holds the secret", sp.Name())
	}
}

// Lifecycle and breaker transitions are spans of their own, named after
// the component and its new state, with one transition event; a check's
// transitions are not (they are events of its run's span).
func TestTransitionSpans(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{Service: "orders"})
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	s.attach(t, h)
	at := time.Date(2026, 6, 1, 12, 0, 3, 0, time.UTC)
	h.MarkStarted()
	h.Notify(core.Transition{Component: "breaker", Name: "payments", From: "closed", To: "open",
		Reason: "5 consecutive failures: connection refused", Time: at})
	_, _ = h.Evaluate(context.Background(), core.Readiness)

	for _, tc := range []struct {
		span, component, name, from, to, reason string
	}{
		{"lifecycle ready", "lifecycle", "orders", "starting", "ready", "marked started"},
		{"breaker open", "breaker", "payments", "closed", "open", "5 consecutive failures: connection refused"},
	} {
		spans := s.ended(tc.span)
		if len(spans) != 1 {
			t.Errorf("%d spans %q, want 1", len(spans), tc.span)
			continue
		}
		sp := spans[0]
		a := attrs(sp.Attributes())
		if a[TransitionComponentKey] != tc.component || a[TransitionNameKey] != tc.name {
			t.Errorf("%q: attributes %v, want component %q name %q", tc.span, a, tc.component, tc.name)
		}
		if !sp.StartTime().Equal(sp.EndTime()) {
			t.Errorf("%q: lasts %v, want no duration", tc.span, sp.EndTime().Sub(sp.StartTime()))
		}
		evs := sp.Events()
		if len(evs) != 1 || evs[0].Name != EventTransition {
			t.Errorf("%q: events %v, want one %s", tc.span, evs, EventTransition)
			continue
		}
		e := attrs(evs[0].Attributes)
		if e[TransitionFromKey] != tc.from || e[TransitionToKey] != tc.to || e[TransitionReasonKey] != tc.reason {
			t.Errorf("%q: event %v, want %s>%s (%s)", tc.span, e, tc.from, tc.to, tc.reason)
		}
	}
	if sp := s.ended("breaker open"); len(sp) == 1 && !sp[0].StartTime().Equal(at) {
		t.Errorf("breaker span at %v, want the transition's time %v", sp[0].StartTime(), at)
	}
	for _, sp := range s.spans.Ended() {
		if strings.HasPrefix(sp.Name(), "check ") && sp.Name() != "check db" {
			t.Errorf("unexpected span %q: a check's transition has no span of its own", sp.Name())
		}
	}
}

// Close unsubscribes: runs after it start no span and are not counted, and
// the gauges are no longer observed. New rejects a nil registry.
func TestClose(t *testing.T) {
	t.Parallel()
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) = nil error, want one")
	}
	s := newSDK(t)
	h := newRegistry(t, core.Options{})
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	tel := s.attach(t, h)
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	if err := tel.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tel.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	if n := len(s.ended("check db")); n != 1 {
		t.Errorf("%d check spans, want the 1 before Close", n)
	}
	m := s.collect(t)
	for _, name := range []string{MetricCheckUp, MetricLifecycleState, MetricInflightRequests} {
		if _, ok := m[name]; ok {
			t.Errorf("%s still observed after Close", name)
		}
	}
	if runs := m[MetricCheckRuns].Data.(metricdata.Sum[int64]).DataPoints; len(runs) != 1 || runs[0].Value != 1 {
		t.Errorf("%s after Close = %+v, want the 1 run before", MetricCheckRuns, runs)
	}
}
