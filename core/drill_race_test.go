package core

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Operators start, replace and end drills on one check concurrently, over
// the admin handler and from code, while drills expire by themselves: every
// request is answered 200, and when all are done the drills in effect
// agree with the count the reports read (no drill leaks, none is counted
// twice), and ending the last one leaves none.
func TestDrillConcurrentAdminRequests(t *testing.T) {
	t.Parallel()
	r, f, h, _ := adminFixture(t)
	bearer := "Bearer " + testAdminToken
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				actor := "op" + strconv.Itoa(i)
				var code int
				switch (i + j) % 4 {
				case 0:
					code = adminDo(h, "PUT", "/checks/db/drill", bearer, "", `{"status":"degraded","duration":"1h","actor":"`+actor+`"}`).Code
				case 1:
					code = adminDo(h, "DELETE", "/checks/db/drill", bearer, "", `{"actor":"`+actor+`"}`).Code
				case 2:
					code = adminDo(h, "GET", "/drills", bearer, "", "").Code
				default:
					// A drill that expires at once races the others.
					if err := r.Drill("db", DrillOptions{Status: StatusUnavailable, Duration: time.Nanosecond, Actor: actor}); err != nil {
						t.Error(err)
					}
					code = 200
				}
				if code != 200 {
					t.Errorf("request %d/%d answered %d", i, j, code)
				}
			}
		}()
	}
	wg.Wait()
	if _, err := r.EndDrill("db", "test"); err != nil {
		t.Fatal(err)
	}
	if n := r.drills.n.Load(); n != 0 || len(r.Drills()) != 0 {
		t.Fatalf("after ending the drill: count %d, drills %v", n, r.Drills())
	}
	if !f.Enabled() {
		t.Error("the feature following the check stays off after the drill ended")
	}
}

// A drill on a check registered for liveness fails the liveness probe over
// HTTP, as a real failure of that check would (the kubelet then restarts
// the container: documented in README and docs/operations.md), while a
// drill on a readiness-only check leaves liveness passing.
func TestDrillLivenessProbe(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "loop", Kinds: Liveness | Readiness, Check: ok})
	_ = r.Register(Check{Name: "db", Kinds: Readiness, Check: ok})
	h := r.Handler()
	probe := func() int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/livez", nil))
		return w.Code
	}
	drill := func(name string) {
		if err := r.Drill(name, DrillOptions{Status: StatusUnavailable, Duration: time.Hour, Actor: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	drill("db")
	if code := probe(); code != 200 {
		t.Errorf("/livez during a drill of a readiness-only check = %d, want 200", code)
	}
	drill("loop")
	if code := probe(); code != 503 {
		t.Errorf("/livez during a drill of a liveness check = %d, want 503", code)
	}
	for _, name := range []string{"db", "loop"} {
		_, _ = r.EndDrill(name, "alice")
	}
	if code := probe(); code != 200 {
		t.Errorf("/livez after the drills = %d, want 200", code)
	}
}

// A degraded drill on a check that really fails must not report it
// degraded: a rehearsal never makes a check look healthier than it is, or
// it would make a pod whose critical dependency is down ready, and keep on
// the features that follow it. The report keeps the real failure (with
// the drill beside it), and so do Stored, the probe and the features.
func TestDrillNeverHidesARealFailure(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	fail := func(context.Context) error { return errors.New("connection refused") }
	if err := r.Register(Check{Name: "db", Kinds: Readiness, Check: fail}); err != nil {
		t.Fatal(err)
	}
	f, err := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep, _ := r.Evaluate(context.Background(), Readiness); rep.Status != StatusUnavailable {
		t.Fatalf("before the drill: %+v", rep)
	}
	if err := r.Drill("db", DrillOptions{Status: StatusDegraded, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = r.EndDrill("db", "alice") }()
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if rep.Status != StatusUnavailable || rep.Checks[0].Status != StatusUnavailable {
		t.Errorf("a degraded drill hides the real failure: report %v, check %v %q", rep.Status, rep.Checks[0].Status, rep.Checks[0].Message)
	}
	if d := rep.Checks[0].Drill; d == nil || d.RealStatus != StatusUnavailable {
		t.Errorf("the report's drill = %+v", d)
	}
	if st, _ := r.Stored(Readiness, ""); st != StatusUnavailable {
		t.Errorf("Stored(Readiness) = %v", st)
	}
	if st, _ := r.Stored(Readiness, "db"); st != StatusUnavailable {
		t.Errorf("Stored(Readiness, db) = %v", st)
	}
	if p := r.Probe(context.Background(), ProbeRequest{Method: http.MethodGet, Kind: Readiness}); p.Code != http.StatusServiceUnavailable {
		t.Errorf("probe = %d %s", p.Code, p.Body)
	}
	if f.Enabled() {
		t.Error("the feature following the failing check turned on with a degraded drill")
	}
	if why := f.State().Why; why != `check "db" is unavailable` {
		t.Errorf("the feature's why = %q: the failure is real, not the drill's", why)
	}
}
