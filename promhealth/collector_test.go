package promhealth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newRegistry(t testing.TB, opts core.Options) *core.Registry {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := core.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func newCollector(t testing.TB, h *core.Registry, opts Options) *Collector {
	t.Helper()
	c, err := New(h, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// switchable is a check whose outcome the test sets, counting its calls.
type switchable struct {
	err   atomic.Pointer[error]
	calls atomic.Int64
}

func (s *switchable) set(err error) { s.err.Store(&err) }

func (s *switchable) check(context.Context) error {
	s.calls.Add(1)
	if p := s.err.Load(); p != nil {
		return *p
	}
	return nil
}

// The per-check series follow the results: status after thresholds by
// probe kind, runs by outcome, consecutive failures, transitions.
func TestCheckSeries(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	db, cache, search := &switchable{}, &switchable{}, &switchable{}
	for _, c := range []core.Check{
		{Name: "db", Check: db.check, Kinds: core.Readiness | core.Startup},
		{Name: "cache", Check: cache.check, Kinds: core.Liveness},
		{Name: "search", Check: search.check, Optional: true},
		{Name: "never", Check: func(context.Context) error { return nil }, Interval: time.Hour}, // Start is not called
	} {
		if err := h.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	c := newCollector(t, h, Options{})
	ctx := context.Background()
	cache.set(core.Degraded("slow", errors.New("refused")))
	search.set(errors.New("refused"))
	evaluate := func() {
		for _, k := range []core.Kind{core.Liveness, core.Readiness} {
			if _, err := h.Evaluate(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	evaluate()
	evaluate()
	db.set(errors.New("down"))
	evaluate()

	want := `
# HELP probekit_check_up Status of a health check after its thresholds, one series per probe it belongs to (kind: liveness, readiness, startup): 1 ok, 0.5 degraded (or an optional check failed), 0 failed. Absent until the check has run.
# TYPE probekit_check_up gauge
probekit_check_up{check="cache",kind="liveness"} 0.5
probekit_check_up{check="db",kind="readiness"} 0
probekit_check_up{check="db",kind="startup"} 0
probekit_check_up{check="search",kind="readiness"} 0.5
# HELP probekit_check_runs_total Runs of a health check by outcome: success (nil error) or failure (any error, degraded included).
# TYPE probekit_check_runs_total counter
probekit_check_runs_total{check="cache",result="failure"} 3
probekit_check_runs_total{check="cache",result="success"} 0
probekit_check_runs_total{check="db",result="failure"} 1
probekit_check_runs_total{check="db",result="success"} 2
probekit_check_runs_total{check="never",result="failure"} 0
probekit_check_runs_total{check="never",result="success"} 0
probekit_check_runs_total{check="search",result="failure"} 3
probekit_check_runs_total{check="search",result="success"} 0
# HELP probekit_check_consecutive_failures Failed runs of a health check since its last success.
# TYPE probekit_check_consecutive_failures gauge
probekit_check_consecutive_failures{check="cache"} 3
probekit_check_consecutive_failures{check="db"} 1
probekit_check_consecutive_failures{check="never"} 0
probekit_check_consecutive_failures{check="search"} 3
# HELP probekit_check_transitions_total Changes of a health check's reported status (ok, degraded, unavailable); a fast rise is a flapping check.
# TYPE probekit_check_transitions_total counter
probekit_check_transitions_total{check="cache"} 1
probekit_check_transitions_total{check="db"} 2
probekit_check_transitions_total{check="never"} 0
probekit_check_transitions_total{check="search"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"probekit_check_up", "probekit_check_runs_total", "probekit_check_consecutive_failures", "probekit_check_transitions_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c, "probekit_check_duration_seconds"); n != 4 {
		t.Errorf("%d duration histograms, want one per check (4)", n)
	}
	// db succeeded twice, cache and search never: one last-success series.
	if n := testutil.CollectAndCount(c, "probekit_check_last_success_timestamp_seconds"); n != 1 {
		t.Errorf("%d last-success series, want 1 (db)", n)
	}
}

// A scrape reads what the observers recorded: it never runs a check.
func TestScrapeRunsNoCheck(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	s := &switchable{}
	if err := h.Register(core.Check{Name: "db", Check: s.check}); err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, h, Options{})
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := reg.Gather(); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.calls.Load(); n != 0 {
		t.Fatalf("three scrapes ran the check %d times, want 0", n)
	}
}

// The histogram puts each run in its bucket, in seconds.
func TestDurationHistogram(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	c := newCollector(t, h, Options{Buckets: []float64{0.1, 1}})
	o := observer{c}
	for _, d := range []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second} {
		o.ObserveResult(core.Result{Name: "db", Duration: d})
	}
	want := `
# HELP probekit_check_duration_seconds How long each run of a health check took, up to its timeout.
# TYPE probekit_check_duration_seconds histogram
probekit_check_duration_seconds_bucket{check="db",le="0.1"} 2
probekit_check_duration_seconds_bucket{check="db",le="1"} 3
probekit_check_duration_seconds_bucket{check="db",le="+Inf"} 4
probekit_check_duration_seconds_sum{check="db"} 2.65
probekit_check_duration_seconds_count{check="db"} 4
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "probekit_check_duration_seconds"); err != nil {
		t.Fatal(err)
	}
}

// Lifecycle, in-flight requests and the shutdown are read or derived from
// the registry; the total shutdown duration comes from the transitions'
// times, the phases and abandoned requests from shutdown transitions.
func TestProcessSeries(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{Service: "orders"})
	c := newCollector(t, h, Options{})
	h.MarkStarted()
	h.InFlight().Enter()
	h.InFlight().Enter()
	defer h.InFlight().Leave()
	defer h.InFlight().Leave()
	o := observer{c}
	t0 := time.Unix(1000, 0)
	for _, tr := range []core.Transition{
		{Component: "lifecycle", From: "ready", To: "draining", Time: t0},
		{Component: "shutdown", Name: "propagation", To: "done", Time: t0.Add(5 * time.Second)},
		{Component: "shutdown", Name: "drain", To: "abandoned", Reason: "3 requests still in flight", Time: t0.Add(25 * time.Second)},
		{Component: "shutdown", Name: "drain", To: "abandoned", Reason: "timeout", Time: t0.Add(25 * time.Second)}, // no count: the in-flight count (2)
		{Component: "shutdown", Name: "drain", To: "done", Time: t0.Add(25 * time.Second)},
		{Component: "lifecycle", From: "draining", To: "stopped", Time: t0.Add(26 * time.Second)},
	} {
		o.ObserveTransition(tr)
	}
	want := `
# HELP probekit_lifecycle_state Lifecycle state of the process: 1 for the current state (starting, ready, draining, stopped), 0 for the others.
# TYPE probekit_lifecycle_state gauge
probekit_lifecycle_state{state="draining"} 0
probekit_lifecycle_state{state="ready"} 1
probekit_lifecycle_state{state="starting"} 0
probekit_lifecycle_state{state="stopped"} 0
# HELP probekit_inflight_requests Requests in progress, as counted by the drain middleware (probes and scrapes excluded).
# TYPE probekit_inflight_requests gauge
probekit_inflight_requests 2
# HELP probekit_drain_abandoned_total Requests still in flight when the drain timeout cut the shutdown short.
# TYPE probekit_drain_abandoned_total counter
probekit_drain_abandoned_total 5
# HELP probekit_shutdown_phase_duration_seconds Duration of the phases of the last shutdown: total is from draining to stopped; other phases appear as the registry reports them. Absent until a shutdown has finished a phase.
# TYPE probekit_shutdown_phase_duration_seconds gauge
probekit_shutdown_phase_duration_seconds{phase="drain"} 20
probekit_shutdown_phase_duration_seconds{phase="propagation"} 5
probekit_shutdown_phase_duration_seconds{phase="total"} 26
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"probekit_lifecycle_state", "probekit_inflight_requests", "probekit_drain_abandoned_total", "probekit_shutdown_phase_duration_seconds"); err != nil {
		t.Fatal(err)
	}
}

// A real shutdown moves the lifecycle series, measures every step and
// counts the requests its drain abandoned, from the registry's own events.
func TestShutdownMeasured(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{PropagationDelay: time.Nanosecond, DrainTimeout: 20 * time.Millisecond})
	c := newCollector(t, h, Options{})
	h.InFlight().Enter() // a request the drain abandons
	defer h.InFlight().Leave()
	if err := h.Shutdown(context.Background(), nil); !errors.Is(err, core.ErrDrainTimeout) {
		t.Fatalf("Shutdown = %v, want a drain timeout", err)
	}
	if n := testutil.CollectAndCount(c, "probekit_shutdown_phase_duration_seconds"); n != 4 {
		t.Errorf("%d shutdown phase series after a shutdown, want 4 (propagation, drain, hooks, total)", n)
	}
	abandoned := `
# HELP probekit_drain_abandoned_total Requests still in flight when the drain timeout cut the shutdown short.
# TYPE probekit_drain_abandoned_total counter
probekit_drain_abandoned_total 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(abandoned), "probekit_drain_abandoned_total"); err != nil {
		t.Error(err)
	}
	want := `
# HELP probekit_lifecycle_state Lifecycle state of the process: 1 for the current state (starting, ready, draining, stopped), 0 for the others.
# TYPE probekit_lifecycle_state gauge
probekit_lifecycle_state{state="draining"} 0
probekit_lifecycle_state{state="ready"} 0
probekit_lifecycle_state{state="starting"} 0
probekit_lifecycle_state{state="stopped"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "probekit_lifecycle_state"); err != nil {
		t.Fatal(err)
	}
}

// Breakers appear once they report a transition through Notify; other
// components and unknown states add no series.
func TestBreakerSeries(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	c := newCollector(t, h, Options{})
	for _, tr := range []core.Transition{
		{Component: "breaker", Name: "pg", From: "closed", To: "open"},
		{Component: "breaker", Name: "pg", From: "open", To: "half-open"},
		{Component: "breaker", Name: "pg", From: "half-open", To: "open"},
		{Component: "breaker", Name: "pg", From: "open", To: "sideways"},
		{Component: "queue", Name: "jobs", From: "a", To: "b"},
	} {
		h.Notify(tr)
	}
	want := `
# HELP probekit_breaker_state State of a circuit breaker: 1 for the current state (closed, half-open, open), 0 for the others. Present once the breaker has changed state.
# TYPE probekit_breaker_state gauge
probekit_breaker_state{breaker="pg",state="closed"} 0
probekit_breaker_state{breaker="pg",state="half-open"} 0
probekit_breaker_state{breaker="pg",state="open"} 1
# HELP probekit_breaker_transitions_total State changes of a circuit breaker, by the state entered.
# TYPE probekit_breaker_transitions_total counter
probekit_breaker_transitions_total{breaker="pg",to="closed"} 0
probekit_breaker_transitions_total{breaker="pg",to="half-open"} 1
probekit_breaker_transitions_total{breaker="pg",to="open"} 2
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "probekit_breaker_state", "probekit_breaker_transitions_total"); err != nil {
		t.Fatal(err)
	}
}

// Registering twice, or beside a collector that owns one of the names, is
// an error from Register, not a panic; the collector's own output passes
// the pedantic registry and promlint.
func TestRegister(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, h, Options{ServiceLabels: true})
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	var already prometheus.AlreadyRegisteredError
	if err := reg.Register(c); !errors.As(err, &already) {
		t.Errorf("second Register = %v, want AlreadyRegisteredError", err)
	}
	c2 := newCollector(t, h, Options{})
	if err := reg.Register(c2); err == nil {
		t.Error("Register of a second collector with the same names = nil, want an error")
	}
	clash := prometheus.NewGauge(prometheus.GaugeOpts{Name: "probekit_inflight_requests", Help: "x"})
	if err := prometheus.NewRegistry().Register(clash); err != nil {
		t.Fatal(err)
	}
	other := prometheus.NewRegistry()
	if err := other.Register(clash); err != nil {
		t.Fatal(err)
	}
	if err := other.Register(c); err == nil {
		t.Error("Register beside a collector exporting probekit_inflight_requests = nil, want an error")
	}
	if _, err := h.Evaluate(context.Background(), core.Readiness); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("pedantic Gather: %v", err)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// Bad options are errors at New that name the field.
func TestNewOptions(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{Service: "orders"})
	for _, tt := range []struct {
		name string
		opts Options
		want string // "" for success
	}{
		{"zero", Options{}, ""},
		{"const labels", Options{ConstLabels: prometheus.Labels{"team": "payments"}}, ""},
		{"service labels", Options{ServiceLabels: true}, ""},
		{"bad label name", Options{ConstLabels: prometheus.Labels{"a-b": "x"}}, "ConstLabels"},
		{"reserved label", Options{ConstLabels: prometheus.Labels{"__name": "x"}}, "ConstLabels"},
		{"leading digit", Options{ConstLabels: prometheus.Labels{"1a": "x"}}, "ConstLabels"},
		{"empty label name", Options{ConstLabels: prometheus.Labels{"": "x"}}, "ConstLabels"},
		{"own label", Options{ConstLabels: prometheus.Labels{"check": "x"}}, "ConstLabels"},
		{"service twice", Options{ServiceLabels: true, ConstLabels: prometheus.Labels{"service": "x"}}, "ServiceLabels"},
		{"label value not UTF-8", Options{ConstLabels: prometheus.Labels{"team": "pay\xffments"}}, "ConstLabels"},
		{"empty buckets", Options{Buckets: []float64{}}, "Buckets"},
		{"unsorted buckets", Options{Buckets: []float64{1, 0.5}}, "Buckets"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(h, tt.opts)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New = %v", err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error naming %s", err, tt.want)
			}
		})
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) = nil error")
	}
}

// Const labels reach every series.
func TestConstLabels(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{Service: "orders", Version: "1.2.3", Instance: "pod-1"})
	c := newCollector(t, h, Options{ServiceLabels: true, ConstLabels: prometheus.Labels{"team": "payments"}})
	want := `
# HELP probekit_inflight_requests Requests in progress, as counted by the drain middleware (probes and scrapes excluded).
# TYPE probekit_inflight_requests gauge
probekit_inflight_requests{instance="pod-1",service="orders",team="payments",version="1.2.3"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "probekit_inflight_requests"); err != nil {
		t.Fatal(err)
	}
}

// After Close, results no longer reach the collector.
func TestClose(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, h, Options{})
	c.Close()
	c.Close()
	if _, err := h.Evaluate(context.Background(), core.Readiness); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c, "probekit_check_up"); n != 0 {
		t.Fatalf("%d up series after Close and a run, want 0", n)
	}
}

func TestAbandonedCount(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in string
		n  uint64
		ok bool
	}{
		{"3 requests", 3, true},
		{"12", 12, true},
		{"", 0, false},
		{"timeout", 0, false},
		{"18446744073709551615", 18446744073709551615, true},
		{"18446744073709551616", 0, false},
	} {
		n, ok := abandonedCount(tt.in)
		if n != tt.n || ok != tt.ok {
			t.Errorf("abandonedCount(%q) = %d, %v, want %d, %v", tt.in, n, ok, tt.n, tt.ok)
		}
	}
}

func FuzzAbandonedCount(f *testing.F) {
	for _, s := range []string{"3 requests", "", "x", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := abandonedCount(s)
		if !ok && n != 0 {
			t.Fatalf("abandonedCount(%q) = %d, false: a count without ok", s, n)
		}
		if ok && (s == "" || s[0] < '0' || s[0] > '9') {
			t.Fatalf("abandonedCount(%q) ok without a leading digit", s)
		}
	})
}

// The label sets shared by every scrape are read-only: a wrapping
// registerer that adds labels changes its own output only.
func TestWrappedRegistererSharesNoLabels(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, h, Options{})
	if _, err := h.Evaluate(context.Background(), core.Readiness); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := prometheus.WrapRegistererWith(prometheus.Labels{"zone": "a"}, reg).Register(c); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := reg.Gather(); err != nil {
			t.Fatal(err)
		}
	}
	want := `
# HELP probekit_check_consecutive_failures Failed runs of a health check since its last success.
# TYPE probekit_check_consecutive_failures gauge
probekit_check_consecutive_failures{check="db"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "probekit_check_consecutive_failures"); err != nil {
		t.Fatal(err)
	}
}

// A check registered after New is labelled with its own kinds from its
// first result on.
func TestCheckRegisteredAfterNew(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	c := newCollector(t, h, Options{})
	if err := h.Register(core.Check{Name: "loop", Kinds: core.Liveness | core.Readiness, Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Evaluate(context.Background(), core.Liveness); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP probekit_check_up Status of a health check after its thresholds, one series per probe it belongs to (kind: liveness, readiness, startup): 1 ok, 0.5 degraded (or an optional check failed), 0 failed. Absent until the check has run.
# TYPE probekit_check_up gauge
probekit_check_up{check="loop",kind="liveness"} 1
probekit_check_up{check="loop",kind="readiness"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "probekit_check_up"); err != nil {
		t.Fatal(err)
	}
}
