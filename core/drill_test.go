package core

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// events is an Observer that passes on every transition of the given
// components, and results when results is set.
type events struct {
	components []string
	ch         chan Transition
	results    chan Result
}

func newEvents(components ...string) *events {
	return &events{components: components, ch: make(chan Transition, 32), results: make(chan Result, 32)}
}

func (e *events) ObserveResult(r Result) {
	select {
	case e.results <- r:
	default:
	}
}

func (e *events) ObserveTransition(t Transition) {
	for _, c := range e.components {
		if t.Component == c {
			e.ch <- t
		}
	}
}

func (e *events) next(t *testing.T) Transition {
	t.Helper()
	return <-e.ch
}

func TestDrillValidation(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "db", Check: ok})
	good := DrillOptions{Status: StatusUnavailable, Duration: time.Minute, Actor: "alice"}
	with := func(f func(*DrillOptions)) DrillOptions { o := good; f(&o); return o }
	tests := []struct {
		name, check string
		opts        DrillOptions
		is          error
		want        string
	}{
		{"unknown check", "nosuch", good, ErrUnknownCheck, `drill "nosuch"`},
		{"status ok", "db", with(func(o *DrillOptions) { o.Status = StatusOK }), ErrInvalidDrill, "Status must be StatusUnavailable or StatusDegraded, got ok"},
		{"status unknown", "db", with(func(o *DrillOptions) { o.Status = 9 }), ErrInvalidDrill, "got unknown"},
		{"zero duration", "db", with(func(o *DrillOptions) { o.Duration = 0 }), ErrInvalidDrill, "Duration must be > 0"},
		{"negative duration", "db", with(func(o *DrillOptions) { o.Duration = -time.Second }), ErrInvalidDrill, "Duration must be > 0, got -1s"},
		{"over the cap", "db", with(func(o *DrillOptions) { o.Duration = MaxDrillDuration + 1 }), ErrInvalidDrill, "is over the maximum 24h0m0s"},
		{"no actor", "db", with(func(o *DrillOptions) { o.Actor = " " }), ErrInvalidDrill, "Actor is empty"},
		{"long actor", "db", with(func(o *DrillOptions) { o.Actor = strings.Repeat("a", 65) }), ErrInvalidDrill, "Actor is longer than 64 bytes"},
		{"control in actor", "db", with(func(o *DrillOptions) { o.Actor = "al\x1b[31mice" }), ErrInvalidDrill, "control or format character"},
		{"long reason", "db", with(func(o *DrillOptions) { o.Reason = strings.Repeat("r", 257) }), ErrInvalidDrill, "Reason is longer than 256 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Drill(tt.check, tt.opts)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Drill = %v; want %v saying %q", err, tt.is, tt.want)
			}
			if d := r.Drills(); d != nil {
				t.Errorf("a refused drill is in effect: %+v", d)
			}
		})
	}
	if _, err := r.EndDrill("nosuch", "bob"); !errors.Is(err, ErrUnknownCheck) {
		t.Errorf("EndDrill of an unknown check: %v", err)
	}
	if ended, err := r.EndDrill("db", "bob"); ended || err != nil {
		t.Errorf("EndDrill without a drill = %v, %v; want false, nil", ended, err)
	}
}

// drillFixture is a registry with a passing background check "db"
// (run once), a feature "recs" following it (on), observed by ev.
func drillFixture(t *testing.T, ev *events, logs *safeBuffer) (*Registry, *Feature) {
	t.Helper()
	opts := Options{Observers: []Observer{ev}}
	if logs != nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	r := newTestRegistry(t, opts)
	ran := make(chan struct{})
	err := r.Register(Check{Name: "db", Interval: time.Hour, Owner: "team-data", Check: func(context.Context) error { close(ran); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-ran
	if tr := ev.next(t); tr.Component != "feature" || tr.To != "on" {
		t.Fatalf("transition %+v, want recs on", tr)
	}
	return r, f
}

// A drill overrides what every report says of the check, and what the
// features following it see, the cached fast path included; the real
// result stays visible beside it; ending it restores everything.
func TestDrillOverridesReports(t *testing.T) {
	t.Parallel()
	ev := newEvents("drill", "feature")
	var logs safeBuffer
	r, f := drillFixture(t, ev, &logs)
	ctx := context.Background()
	probe := func(accept, query string) ProbeResponse {
		return r.Probe(ctx, ProbeRequest{Method: "GET", Kind: Readiness, Accept: accept, RawQuery: query})
	}
	if p := probe("", ""); p.Code != 200 { // fills the cache
		t.Fatalf("before the drill: %d %s", p.Code, p.Body)
	}

	err := r.Drill("db", DrillOptions{Status: StatusUnavailable, Duration: time.Hour, Actor: "alice", Reason: "game day token=s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	tr := ev.next(t)
	if tr.Component != "drill" || tr.Name != "db" || tr.From != "off" || tr.To != "unavailable" ||
		!strings.HasPrefix(tr.Reason, "by alice for 1h0m0s until ") || !strings.HasSuffix(tr.Reason, ": game day token=[redacted]") {
		t.Fatalf("start transition %+v", tr)
	}
	if tr = ev.next(t); tr.Component != "feature" || tr.To != "off" || tr.Reason != `check "db" is unavailable (drill)` {
		t.Fatalf("feature transition %+v, want off because of the drill", tr)
	}
	if f.Enabled() {
		t.Error("the feature following a drilled check is on")
	}

	tests := []struct {
		name, accept, query string
		want                []string
	}{
		{"json", "", "", []string{`"db":{"status":"unavailable","message":"drill: game day token=[redacted]"`, `"owner":"team-data","drill":{"status":"unavailable","actor":"alice","reason":"game day token=[redacted]","since":"`, `"real_status":"ok","real_message":""}`}},
		{"health+json", "application/health+json", "", []string{`"status":"fail"`, `"output":"drill: game day token=[redacted]","owner":"team-data","drill":{"status":"fail","actor":"alice"`, `"realStatus":"pass"}`}},
		{"verbose", "", "verbose", []string{"[-]db failed: drill: game day token=[redacted] (drill by alice until ", "; real: ok)\n"}},
	}
	for _, tt := range tests {
		p := probe(tt.accept, tt.query)
		if p.Code != 503 {
			t.Errorf("%s: code %d during the drill, want 503", tt.name, p.Code)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(p.Body), w) {
				t.Errorf("%s lacks %s:\n%s", tt.name, w, p.Body)
			}
		}
	}
	one := r.Probe(ctx, ProbeRequest{Method: "GET", Kind: Readiness, Check: "db"})
	if one.Code != 503 || !strings.Contains(string(one.Body), `"real_status":"ok"`) {
		t.Errorf("/readyz/db during the drill: %d %s", one.Code, one.Body)
	}
	for _, k := range []string{"", "db"} {
		if st, err := r.Stored(Readiness, k); st != StatusUnavailable || err != nil {
			t.Errorf("Stored(Readiness, %q) = %v, %v during the drill", k, st, err)
		}
	}
	if d := r.Drills(); len(d) != 1 || d[0].Check != "db" || d[0].Actor != "alice" || d[0].Until.Sub(d[0].Since) != time.Hour {
		t.Errorf("Drills() = %+v", d)
	}

	if ended, err := r.EndDrill("db", "bob"); !ended || err != nil {
		t.Fatalf("EndDrill = %v, %v", ended, err)
	}
	if tr = ev.next(t); tr.Component != "drill" || tr.From != "unavailable" || tr.To != "off" || !strings.HasPrefix(tr.Reason, "ended by bob (drill by alice since ") {
		t.Fatalf("end transition %+v", tr)
	}
	if tr = ev.next(t); tr.Component != "feature" || tr.To != "on" {
		t.Fatalf("feature transition %+v, want on", tr)
	}
	if p := probe("", ""); p.Code != 200 || strings.Contains(string(p.Body), "drill") {
		t.Errorf("after the drill: %d %s", p.Code, p.Body)
	}
	if r.Drills() != nil {
		t.Errorf("Drills() after the end = %+v", r.Drills())
	}
	out := logs.String()
	for _, want := range []string{`level=WARN msg="probekit: drill unavailable" component=drill name=db from=off to=unavailable reason="by alice for 1h0m0s until `, "owner=team-data", `level=INFO msg="probekit: drill off"`, "ended by bob"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("the log holds the reason's secret:\n%s", out)
	}
}

// A drill ends by itself; the features follow the check back.
func TestDrillExpires(t *testing.T) {
	t.Parallel()
	ev := newEvents("drill", "feature")
	r, f := drillFixture(t, ev, nil)
	probe := func() ProbeResponse {
		return r.Probe(context.Background(), ProbeRequest{Method: "GET", Kind: Readiness})
	}
	_ = probe() // fills the pre-rendered answer
	if err := r.Drill("db", DrillOptions{Status: StatusUnavailable, Duration: time.Millisecond, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"drill off>unavailable", "feature on>off", "drill unavailable>off", "feature off>on"}
	for _, w := range want {
		tr := ev.next(t)
		if got := tr.Component + " " + tr.From + ">" + tr.To; got != w {
			t.Fatalf("transition %+v, want %s", tr, w)
		}
		if tr.Component == "drill" && tr.To == "off" && !strings.HasPrefix(tr.Reason, "expired after 1ms") {
			t.Errorf("end's reason %q", tr.Reason)
		}
	}
	if !f.Enabled() || r.Drills() != nil {
		t.Errorf("after expiry: enabled %v, drills %+v", f.Enabled(), r.Drills())
	}
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if rep.Status != StatusOK || rep.Checks[0].Drill != nil {
		t.Errorf("report after expiry %+v", rep)
	}
	// The pre-rendered answer saw the expiry too.
	if p := probe(); p.Code != 200 || strings.Contains(string(p.Body), "drill") {
		t.Errorf("cached probe after expiry: %d %s", p.Code, p.Body)
	}
}

// A drill that replaces another ends it; the first's timer then ends
// nothing.
func TestDrillReplacedStaleTimer(t *testing.T) {
	t.Parallel()
	ev := newEvents("drill")
	r := newTestRegistry(t, Options{Observers: []Observer{ev}})
	_ = r.Register(Check{Name: "db", Check: ok})
	_ = r.Drill("db", DrillOptions{Status: StatusUnavailable, Duration: time.Hour, Actor: "alice"})
	s := r.lookup("db")
	first := s.drill.Load()
	_ = r.Drill("db", DrillOptions{Status: StatusDegraded, Duration: time.Hour, Actor: "bob"})
	r.expireDrill(s, first) // as if the first drill's timer fired late
	if d := r.Drills(); len(d) != 1 || d[0].Actor != "bob" {
		t.Fatalf("Drills() = %+v, want bob's", d)
	}
	want := []string{"off>unavailable", "unavailable>off", "off>degraded"}
	for _, w := range want {
		if tr := ev.next(t); tr.From+">"+tr.To != w {
			t.Fatalf("transition %+v, want %s", tr, w)
		}
	}
	if ended, _ := r.EndDrill("db", "bob"); !ended {
		t.Fatal("EndDrill: no drill")
	}
	if r.drills.n.Load() != 0 {
		t.Errorf("drill count %d after the end", r.drills.n.Load())
	}
}

// The real results keep flowing during a drill: observers get them (no
// Drill), real transitions reach them, and the report shows the real
// status beside the drill's.
func TestDrillKeepsRealResults(t *testing.T) {
	t.Parallel()
	ev := newEvents("check")
	r := newTestRegistry(t, Options{Observers: []Observer{ev}})
	var db switchable
	_ = r.Register(Check{Name: "db", Check: db.check})
	ctx := context.Background()
	_, _ = r.Evaluate(ctx, Readiness)
	if tr := ev.next(t); tr.To != "ok" {
		t.Fatalf("transition %+v", tr)
	}
	<-ev.results
	_ = r.Drill("db", DrillOptions{Status: StatusDegraded, Duration: time.Hour, Actor: "alice", Reason: "rehearsal"})
	db.set(errors.New("connection refused"))
	rep, _ := r.Evaluate(ctx, Readiness)
	if tr := ev.next(t); tr.From != "ok" || tr.To != "unavailable" {
		t.Errorf("real transition %+v, want ok -> unavailable", tr)
	}
	if res := <-ev.results; res.Status != StatusUnavailable || res.Drill != nil {
		t.Errorf("observed result %+v, want the real one", res)
	}
	// The real failure is worse than the degraded drill: it stays reported
	// (a drill never hides one), with the drill beside it.
	c := rep.Checks[0]
	if rep.Status != StatusUnavailable || c.Status != StatusUnavailable || c.Message != "connection refused" ||
		c.Drill == nil || c.Drill.RealStatus != StatusUnavailable || c.Drill.RealMessage != "connection refused" {
		t.Errorf("report %+v, check %+v drill %+v", rep, c, c.Drill)
	}
	_, _ = r.EndDrill("db", "alice")
}

// A drill counts for liveness even before the check's first run, which
// liveness otherwise assumes passes.
func TestDrillBeforeFirstRun(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "loop", Kinds: Liveness, Interval: time.Hour, Check: ok})
	if st, _ := r.Stored(Liveness, ""); st != StatusOK {
		t.Fatalf("liveness before any run: %v", st)
	}
	_ = r.Drill("loop", DrillOptions{Status: StatusUnavailable, Duration: time.Hour, Actor: "alice"})
	defer func() { _, _ = r.EndDrill("loop", "alice") }()
	if st, _ := r.Stored(Liveness, ""); st != StatusUnavailable {
		t.Errorf("Stored(Liveness) during the drill = %v", st)
	}
	if st, _ := r.Stored(Liveness, "loop"); st != StatusUnavailable {
		t.Errorf("Stored(Liveness, loop) during the drill = %v", st)
	}
	if rep, _ := r.Evaluate(context.Background(), Liveness); rep.Status != StatusUnavailable {
		t.Errorf("Evaluate(Liveness) during the drill = %+v", rep)
	}
}

// Close ends the drill timers, as it ends the features' force timers: a
// drill's end firing after Close (up to 24h later, on a goroutine of its
// own) changes nothing and calls no observer, and Drill and EndDrill after
// Close are refused with ErrClosed.
func TestDrillAfterClose(t *testing.T) {
	t.Parallel()
	ev := newEvents("drill")
	r, err := New(Options{Observers: []Observer{ev}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Register(Check{Name: "db", Check: ok})
	if err := r.Drill("db", DrillOptions{Status: StatusUnavailable, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	ev.next(t) // the start
	s := r.lookup("db")
	d := s.drill.Load()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r.expireDrill(s, d) // the timer firing after Close (had Close not stopped it)
	select {
	case tr := <-ev.ch:
		t.Errorf("transition %+v after Close", tr)
	default:
	}
	if d.timer.Stop() {
		t.Error("the drill's timer is still pending after Close")
	}
	if err := r.Drill("db", DrillOptions{Status: StatusDegraded, Duration: time.Hour, Actor: "bob"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Drill after Close = %v, want ErrClosed", err)
	}
	if _, err := r.EndDrill("db", "bob"); !errors.Is(err, ErrClosed) {
		t.Errorf("EndDrill after Close = %v, want ErrClosed", err)
	}
}
