package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/probekit/probekit/core"
)

// A feature follows an optional dependency: the service degrades (no
// recommendations) instead of failing while the cache is down.
func ExampleRegistry_Feature() {
	h, _ := core.New(core.Options{Service: "shop", Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	cacheErr := error(nil)
	_ = h.Register(core.Check{Name: "recs-cache", Optional: true, Check: func(context.Context) error { return cacheErr }})
	recs, err := h.Feature(core.FeatureOptions{Name: "recommendations", Checks: []string{"recs-cache"}})
	if err != nil {
		fmt.Println(err)
		return
	}

	handler := func() string { // the application's hot path
		if recs.Enabled() {
			return "page with recommendations"
		}
		return "page without recommendations"
	}

	_, _ = h.Evaluate(context.Background(), core.Readiness) // a probe, or a background schedule
	fmt.Println(handler())
	cacheErr = errors.New("connection refused")
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	fmt.Println(handler(), "-", recs.State().Why)
	// Output:
	// page with recommendations
	// page without recommendations - check "recs-cache" is unavailable
}

// An operator forces a feature off for the length of an incident; it
// follows its checks again by itself afterwards (or at ClearForce).
func ExampleFeature_Force() {
	// The force is logged: level=WARN msg="probekit: feature search-suggestions forced off"
	// feature=search-suggestions actor=alice forced=off for=30m0s until=... reason="INC-42: ..."
	h, _ := core.New(core.Options{Service: "shop", Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	_ = h.Register(core.Check{Name: "search", Check: func(context.Context) error { return nil }})
	search, _ := h.Feature(core.FeatureOptions{Name: "search-suggestions", Checks: []string{"search"}})
	_, _ = h.Evaluate(context.Background(), core.Readiness)

	err := search.Force(core.ForceOptions{On: false, Duration: 30 * time.Minute, Actor: "alice", Reason: "INC-42: search cluster overloaded"})
	fmt.Println(err, search.Enabled(), search.State().Forced.Actor)
	search.ClearForce("alice")
	fmt.Println(search.Enabled())
	// Output:
	// <nil> false alice
	// true
}

// The admin handler, mounted by the service on an operators-only path,
// forces a feature over HTTP with a bearer token.
func ExampleAdminHandler() {
	h, _ := core.New(core.Options{Service: "shop", Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	_ = h.Register(core.Check{Name: "search", Check: func(context.Context) error { return nil }})
	_, _ = h.Feature(core.FeatureOptions{Name: "search-suggestions", Checks: []string{"search"}})
	_, _ = h.Evaluate(context.Background(), core.Readiness)

	admin, err := core.AdminHandler(h, core.AdminOptions{
		Token:       "0123456789abcdef-from-a-secret", // os.Getenv("ADMIN_TOKEN") from a Kubernetes Secret
		MaxDuration: 2 * time.Hour,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", admin))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/admin/features/search-suggestions/force",
		strings.NewReader(`{"enabled":false,"duration":"30m","actor":"alice","reason":"INC-42"}`))
	req.Header.Set("Authorization", "Bearer 0123456789abcdef-from-a-secret")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	fmt.Println(resp.StatusCode, h.LookupFeature("search-suggestions").Enabled())

	_, err = core.AdminHandler(h, core.AdminOptions{})
	fmt.Println(err)
	// Output:
	// 200 false
	// core: invalid Options: AdminOptions.Token is empty: the admin handler requires a bearer token
}
