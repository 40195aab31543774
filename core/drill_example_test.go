package core_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/probekit/probekit/core"
)

// A game day: the cache check reports failed for 15 minutes, so that the
// team sees its alert fire, the feature that follows the cache turn off and
// the page degrade, while the real result stays in the report beside the
// drill. The drill ends by itself, or earlier with EndDrill.
func ExampleRegistry_Drill() {
	h, _ := core.New(core.Options{Service: "shop", Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	_ = h.Register(core.Check{Name: "cache", Optional: true, Owner: "team-shop", Check: func(context.Context) error { return nil }})
	recs, _ := h.Feature(core.FeatureOptions{Name: "recommendations", Checks: []string{"cache"}})
	_, _ = h.Evaluate(context.Background(), core.Readiness)

	err := h.Drill("cache", core.DrillOptions{
		Status: core.StatusUnavailable, Duration: 15 * time.Minute,
		Actor: "alice", Reason: "game day GD-7",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, _ := h.Evaluate(context.Background(), core.Readiness)
	c := rep.Checks[0]
	fmt.Println(rep.Status, "-", c.Message, "- real:", c.Drill.RealStatus)
	fmt.Println("recommendations:", recs.Enabled(), "-", recs.State().Why)

	ended, _ := h.EndDrill("cache", "alice")
	rep, _ = h.Evaluate(context.Background(), core.Readiness)
	fmt.Println(ended, rep.Status, recs.Enabled())
	// Output:
	// degraded - drill: game day GD-7 - real: ok
	// recommendations: false - check "cache" is unavailable (drill)
	// true ok true
}

// Bad drills are refused with an error naming the problem.
func ExampleRegistry_Drill_errors() {
	h, _ := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }})
	fmt.Println(h.Drill("dbb", core.DrillOptions{Status: core.StatusDegraded, Duration: time.Minute, Actor: "alice"}))
	fmt.Println(h.Drill("db", core.DrillOptions{Status: core.StatusOK, Duration: time.Minute, Actor: "alice"}))
	fmt.Println(h.Drill("db", core.DrillOptions{Status: core.StatusDegraded, Duration: 48 * time.Hour, Actor: "alice"}))
	// Output:
	// core: drill "dbb": unknown check
	// core: drill "db": invalid drill: Status must be StatusUnavailable or StatusDegraded, got ok
	// core: drill "db": invalid drill: Duration 48h0m0s is over the maximum 24h0m0s
}

// An operator starts and ends a drill through the admin handler.
func ExampleAdminHandler_drill() {
	h, _ := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }})
	admin, _ := core.AdminHandler(h, core.AdminOptions{Token: "0123456789abcdef-from-a-secret"})
	do := func(method, path, body string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer 0123456789abcdef-from-a-secret")
		w := httptest.NewRecorder()
		admin.ServeHTTP(w, req)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()[:min(w.Body.Len(), 60)]))
	}
	do(http.MethodPut, "/checks/db/drill", `{"status":"degraded","duration":"10m","actor":"alice","reason":"GD-7"}`)
	do(http.MethodPut, "/checks/db/drill", `{"status":"degraded","duration":"3h","actor":"alice"}`)
	do(http.MethodDelete, "/checks/db/drill", `{"actor":"alice"}`)
	// Output:
	// 200 {"check":"db","status":"degraded","actor":"alice","reason":"
	// 400 {"error":"field \"duration\" 3h0m0s is over the maximum 1h0m
	// 200 {"check":"db","ended":true}
}

// A check names its owner, a runbook and a hint for whoever meets its
// failure: reports, the log line of a status change and metrics carry them.
func ExampleCheck_owner() {
	h, _ := core.New(core.Options{Service: "shop", Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	err := h.Register(core.Check{
		Name:    "db",
		Owner:   "team-data",
		Runbook: "https://runbooks.example.com/shop/db",
		Hint:    "failover is automatic; page if it lasts 10m",
		Check:   func(context.Context) error { return nil },
	})
	fmt.Println(err)
	info := h.Checks()[0]
	fmt.Println(info.Owner, info.Runbook)
	fmt.Println(h.Register(core.Check{Name: "cache", Runbook: "https://bob:pw@wiki.example.com/cache", Check: func(context.Context) error { return nil }}))
	// Output:
	// <nil>
	// team-data https://runbooks.example.com/shop/db
	// core: invalid check "cache": Runbook must not hold user info (user:password@)
}
