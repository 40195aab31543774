package core

import (
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
