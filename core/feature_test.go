package core

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// switchable is a check whose outcome a test sets.
type switchable struct{ err atomic.Pointer[error] }

func (s *switchable) set(err error) { s.err.Store(&err) }

func (s *switchable) check(context.Context) error {
	if p := s.err.Load(); p != nil {
		return *p
	}
	return nil
}

// featureEvents is an Observer that passes on the feature transitions.
type featureEvents chan Transition

func (featureEvents) ObserveResult(Result) {}

func (c featureEvents) ObserveTransition(t Transition) {
	if t.Component == "feature" {
		c <- t
	}
}

func TestFeatureOptionsValidation(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	for _, name := range []string{"db", "cache"} {
		if err := r.Register(Check{Name: name, Check: ok}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Feature(FeatureOptions{Name: "taken", Checks: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts FeatureOptions
		want string
	}{
		{"empty name", FeatureOptions{Checks: []string{"db"}}, "Name is empty"},
		{"bad name", FeatureOptions{Name: "a b", Checks: []string{"db"}}, `"a b"`},
		{"long name", FeatureOptions{Name: strings.Repeat("x", 129), Checks: []string{"db"}}, "at most 128 bytes"},
		{"no checks", FeatureOptions{Name: "f"}, "Checks is empty"},
		{"unknown check", FeatureOptions{Name: "f", Checks: []string{"db", "nosuch"}}, `Checks[1]: no check named "nosuch"`},
		{"check twice", FeatureOptions{Name: "f", Checks: []string{"db", "cache", "db"}}, `Checks[2]: "db" is listed twice`},
		{"duplicate feature", FeatureOptions{Name: "taken", Checks: []string{"cache"}}, "a feature with that name exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := r.Feature(tt.opts)
			if !errors.Is(err, ErrInvalidFeature) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Feature(%+v) = %v, %v; want an ErrInvalidFeature naming %s", tt.opts, f, err, tt.want)
			}
		})
	}
	if got := len(r.Features()); got != 1 {
		t.Errorf("%d features after the rejected ones, want 1", got)
	}
}

// A feature follows its checks' reported status, updated as each result is
// recorded, with degraded counting as off only with OffWhenDegraded.
func TestFeatureFollowsChecks(t *testing.T) {
	t.Parallel()
	degraded := Degraded("slow", nil)
	down := errors.New("connection refused")
	tests := []struct {
		name            string
		offWhenDegraded bool
		db, cache       error
		want            bool
		why             string
	}{
		{"both ok", false, nil, nil, true, "checks ok"},
		{"one unavailable", false, nil, down, false, `check "cache" is unavailable`},
		{"first failing named", false, down, down, false, `check "db" is unavailable`},
		{"degraded stays on", false, degraded, nil, true, "checks ok"},
		{"degraded off when asked", true, degraded, nil, false, `check "db" is degraded`},
		{"unavailable off either way", true, nil, down, false, `check "cache" is unavailable`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRegistry(t, Options{})
			var db, cache switchable
			_ = r.Register(Check{Name: "db", Check: db.check})
			_ = r.Register(Check{Name: "cache", Check: cache.check, Optional: true})
			f, err := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db", "cache"}, OffWhenDegraded: tt.offWhenDegraded})
			if err != nil {
				t.Fatal(err)
			}
			if f.Enabled() || f.State().Why != `check "db" is unavailable` {
				t.Fatalf("before any run: Enabled %v, why %q; want off, db not run yet (unavailable)", f.Enabled(), f.State().Why)
			}
			db.set(tt.db)
			cache.set(tt.cache)
			if _, err := r.Evaluate(context.Background(), Readiness); err != nil {
				t.Fatal(err)
			}
			st := f.State()
			if f.Enabled() != tt.want || st.Enabled != tt.want || st.Why != tt.why || st.Healthy != tt.want || st.Forced != nil {
				t.Errorf("Enabled %v, state %+v; want %v, %q", f.Enabled(), st, tt.want, tt.why)
			}
		})
	}
}

// A feature that follows a background check flips when the scheduler
// records a result: no probe, no polling.
func TestFeatureFollowsBackgroundCheck(t *testing.T) {
	t.Parallel()
	events := make(featureEvents, 16)
	r := newTestRegistry(t, Options{Observers: []Observer{events}})
	var db switchable
	ran := make(chan struct{}, 1)
	gate := make(chan struct{})
	err := r.Register(Check{Name: "db", Interval: time.Millisecond, Check: func(ctx context.Context) error {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case ran <- struct{}{}:
		default:
		}
		return db.check(ctx)
	}})
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
	close(gate)
	if tr := <-events; tr.Name != "recs" || tr.From != "off" || tr.To != "on" || tr.Reason != "checks ok" {
		t.Fatalf("first transition %+v, want recs off -> on, checks ok", tr)
	}
	if !f.Enabled() {
		t.Fatal("Enabled() = false after the on transition")
	}
	db.set(errors.New("boom"))
	if tr := <-events; tr.To != "off" || tr.Reason != `check "db" is unavailable` {
		t.Fatalf("transition %+v, want on -> off because db is unavailable", tr)
	}
	if f.Enabled() {
		t.Fatal("Enabled() = true after the off transition")
	}
}

// A force overrides health until it expires; then the feature follows its
// checks again by itself. Forcing, expiry and the transitions are logged.
func TestFeatureForceExpires(t *testing.T) {
	t.Parallel()
	events := make(featureEvents, 16)
	var logs safeBuffer
	r := newTestRegistry(t, Options{Observers: []Observer{events}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	_ = r.Register(Check{Name: "db", Check: ok})
	f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	_, _ = r.Evaluate(context.Background(), Readiness)
	if tr := <-events; tr.To != "on" {
		t.Fatalf("transition %+v, want on", tr)
	}
	err := f.Force(ForceOptions{On: false, Duration: time.Millisecond, Actor: "alice", Reason: "payments incident INC-42 token=s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	tr := <-events
	if tr.To != "off" || !strings.HasPrefix(tr.Reason, "forced off by alice until ") || !strings.Contains(tr.Reason, "INC-42") {
		t.Fatalf("transition %+v, want off, forced by alice", tr)
	}
	if tr = <-events; tr.To != "on" || tr.Reason != "checks ok" {
		t.Fatalf("transition %+v after the force's end, want on, checks ok", tr)
	}
	if st := f.State(); !st.Enabled || st.Forced != nil {
		t.Errorf("state after expiry %+v, want enabled, not forced", st)
	}
	out := logs.String()
	for _, want := range []string{"feature recs forced off", "actor=alice", "for=1ms", "force expired", "token=[redacted]", "level=WARN msg=\"probekit: feature off\""} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("log holds the secret of the reason:\n%s", out)
	}
}

// A timer of a replaced force ends nothing.
func TestFeatureStaleExpiry(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "db", Check: ok})
	f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	if err := f.Force(ForceOptions{On: true, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	first := f.seq
	f.mu.Unlock()
	if err := f.Force(ForceOptions{On: true, Duration: time.Hour, Actor: "bob"}); err != nil {
		t.Fatal(err)
	}
	f.expire(first) // as if the first force's timer fired late
	if st := f.State(); st.Forced == nil || st.Forced.Actor != "bob" || !st.Enabled {
		t.Fatalf("state %+v, want bob's force still in effect", st)
	}
	if !f.ClearForce("bob") || f.ClearForce("bob") {
		t.Error("ClearForce: want true once, then false")
	}
	if st := f.State(); st.Forced != nil || st.Enabled || st.Why != `check "db" is unavailable` {
		t.Errorf("state after clear %+v, want following db (not run yet)", st)
	}
}

func TestFeatureForceValidation(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "db", Check: ok})
	f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	tests := []struct {
		name string
		opts ForceOptions
		want string
	}{
		{"no duration", ForceOptions{Actor: "a"}, "Duration must be > 0"},
		{"negative", ForceOptions{Actor: "a", Duration: -time.Second}, "Duration must be > 0"},
		{"over the cap", ForceOptions{Actor: "a", Duration: MaxForceDuration + 1}, "over the maximum"},
		{"no actor", ForceOptions{Duration: time.Second, Actor: "  "}, "Actor is empty"},
		{"long actor", ForceOptions{Duration: time.Second, Actor: strings.Repeat("a", 65)}, "Actor is longer"},
		{"long reason", ForceOptions{Duration: time.Second, Actor: "a", Reason: strings.Repeat("r", 257)}, "Reason is longer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.Force(tt.opts); !errors.Is(err, ErrInvalidForce) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Force = %v, want ErrInvalidForce saying %q", err, tt.want)
			}
		})
	}
	if f.State().Forced != nil {
		t.Error("a rejected force took effect")
	}
}

// Enabled is read from many goroutines while results keep changing; run
// under -race. Once the writers stop, it agrees with the last result.
func TestFeatureConcurrentReads(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var db switchable
	_ = r.Register(Check{Name: "db", Check: db.check})
	f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
					_ = f.Enabled()
					_ = f.State().Why
				}
			}
		}()
	}
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range 200 {
				if (i+w)%3 == 0 {
					db.set(errors.New("down"))
				} else {
					db.set(nil)
				}
				_, _ = r.Evaluate(context.Background(), Readiness)
				if i%50 == 0 {
					_ = f.Force(ForceOptions{On: i%100 == 0, Duration: time.Hour, Actor: "t"})
					f.ClearForce("t")
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	db.set(nil)
	_, _ = r.Evaluate(context.Background(), Readiness)
	if !f.Enabled() {
		t.Error("Enabled() = false after a passing run")
	}
	db.set(errors.New("down"))
	_, _ = r.Evaluate(context.Background(), Readiness)
	if f.Enabled() {
		t.Error("Enabled() = true after a failing run")
	}
}

// TestFeatureEnabledNoAlloc: the hot path never allocates. Not parallel:
// AllocsPerRun counts the whole process's allocations.
func TestFeatureEnabledNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "db", Check: ok})
	f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	if n := testing.AllocsPerRun(1000, func() { _ = f.Enabled() }); n != 0 {
		t.Errorf("Enabled: %v allocs per call, want 0", n)
	}
}

func TestNilFeatureDisabled(t *testing.T) {
	t.Parallel()
	var f *Feature
	if f.Enabled() {
		t.Error("nil feature enabled")
	}
}

// Readiness reports carry the features in both JSON forms; other reports,
// and services without features, are unchanged.
func TestFeatureInReports(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{Service: "shop"})
	_ = r.Register(Check{Name: "db", Check: ok, Kinds: Readiness | Liveness})
	plain := func(kind Kind, accept string) map[string]any {
		t.Helper()
		p := r.Probe(context.Background(), ProbeRequest{Method: "GET", Kind: kind, Accept: accept})
		var m map[string]any
		if err := json.Unmarshal(p.Body, &m); err != nil {
			t.Fatalf("%s: %v\n%s", p.ContentType, err, p.Body)
		}
		return m
	}
	if _, has := plain(Readiness, "")["features"]; has {
		t.Error("a report without features has a features member")
	}
	f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	_ = f.Force(ForceOptions{On: false, Duration: time.Hour, Actor: "alice <ops>", Reason: "INC-7"})

	feats, _ := plain(Readiness, "")["features"].(map[string]any)
	recs, _ := feats["recs"].(map[string]any)
	forced, _ := recs["forced"].(map[string]any)
	if recs["enabled"] != false || forced["actor"] != "alice <ops>" || forced["reason"] != "INC-7" ||
		!strings.HasPrefix(recs["why"].(string), "forced off by alice <ops> until ") {
		t.Errorf("features member %v", feats)
	}
	if _, has := plain(Liveness, "")["features"]; has {
		t.Error("a liveness report has a features member")
	}

	checks, _ := plain(Readiness, "application/health+json")["checks"].(map[string]any)
	entry, _ := checks["recs:enabled"].([]any)
	if len(entry) != 1 {
		t.Fatalf("health+json checks %v: want a recs:enabled entry", checks)
	}
	e := entry[0].(map[string]any)
	if e["componentId"] != "recs" || e["componentType"] != "component" || e["observedValue"] != false || e["status"] != "warn" {
		t.Errorf("health+json feature entry %v", e)
	}
	if _, has := checks["db:responseTime"]; !has {
		t.Errorf("health+json lost the check entry: %v", checks)
	}

	rep, _ := r.Evaluate(context.Background(), Readiness)
	if len(rep.Features) != 1 || rep.Features[0].Name != "recs" {
		t.Errorf("Evaluate's report features %+v", rep.Features)
	}
}

// The cached readiness answer is re-rendered when a feature changes.
func TestFeatureInvalidatesCachedReport(t *testing.T) {
	t.Parallel()
	events := make(featureEvents, 4)
	r := newTestRegistry(t, Options{Observers: []Observer{events}})
	ran := make(chan struct{})
	_ = r.Register(Check{Name: "db", Interval: time.Hour, Check: func(context.Context) error { close(ran); return nil }})
	f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	_ = r.Start(context.Background())
	<-ran
	<-events // recs on
	before := r.Probe(context.Background(), ProbeRequest{Method: "GET", Kind: Readiness})
	_ = f.Force(ForceOptions{Duration: time.Hour, Actor: "alice"})
	after := r.Probe(context.Background(), ProbeRequest{Method: "GET", Kind: Readiness})
	if !strings.Contains(string(before.Body), `"enabled":true`) || !strings.Contains(string(after.Body), `"enabled":false`) {
		t.Errorf("before %s\nafter %s", before.Body, after.Body)
	}
}

// BenchmarkFeatureEnabled measures the hot path against its baseline, a
// bare atomic.Bool load.
func BenchmarkFeatureEnabled(b *testing.B) {
	r := newTestRegistry(b, Options{})
	_ = r.Register(Check{Name: "db", Check: ok})
	f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	b.Run("baseline-atomic-bool", func(b *testing.B) {
		var v atomic.Bool
		b.ReportAllocs()
		for b.Loop() {
			_ = v.Load()
		}
	})
	b.Run("Enabled", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = f.Enabled()
		}
	})
	b.Run("Enabled-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = f.Enabled()
			}
		})
	})
}
