package conformance

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// The fixture for an adapter's own comparison with core's Handler, for
// adapters whose router is tested in process (a recorder, fiber's
// app.Test) under settings the ServeFunc does not cover: a registry whose
// answers do not change between two requests, and the requests to compare.

// MatchRegistry returns a started registry of service "orders" whose checks
// are all background checks that have run once, so that probe bodies are
// pre-rendered and two handlers asked the same question give the same
// bytes: "db" (readiness), "db:primary" (readiness and liveness), "boot"
// (startup) and "cache" (optional, degraded). With failing set, a critical
// readiness check "queue" fails. opts.Logger is replaced by a silent one;
// the registry is closed when tb ends.
func MatchRegistry(tb testing.TB, opts core.Options, failing bool) *core.Registry {
	tb.Helper()
	opts.Service, opts.Version, opts.Instance = "orders", "1.2.3", "pod-0"
	opts.Logger = slog.New(slog.DiscardHandler)
	h, err := core.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ok := func(context.Context) error { return nil }
	checks := []core.Check{
		{Name: "db", Check: ok},
		{Name: "db:primary", Check: ok, Kinds: core.Readiness | core.Liveness},
		{Name: "boot", Check: ok, Kinds: core.Startup},
		{Name: "cache", Check: func(context.Context) error {
			return core.Degraded("cache cold", errors.New("miss ratio 0.9"))
		}, Optional: true},
	}
	if failing {
		checks = append(checks, core.Check{Name: "queue", Check: func(context.Context) error {
			return core.Unhealthy("queue unreachable", errors.New("dial tcp 10.0.0.1:4222: refused"))
		}})
	}
	for _, c := range checks {
		c.Interval = time.Hour
		if err := h.Register(c); err != nil {
			tb.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := h.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cancel()
		_ = h.Close()
	})
	waitRan(tb, h)
	return h
}

// waitRan waits until every background check has a result.
func waitRan(tb testing.TB, h *core.Registry) {
	tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for _, kind := range []core.Kind{core.Liveness, core.Readiness, core.Startup} {
		for {
			rep, err := h.Evaluate(context.Background(), kind)
			if err != nil {
				tb.Fatal(err)
			}
			ran := true
			for _, c := range rep.Checks {
				ran = ran && !c.Time.IsZero()
			}
			if ran {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("background %v checks have not run after %v", kind, waitTimeout)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// MatchRequest is a request under the probe mount point, to a
// MatchRegistry registry (with its failing check if Failing), that must get
// core's own handler's answer, whose status is Code.
type MatchRequest struct {
	Method, Target, Accept string
	Failing                bool
	Code                   int
}

// MatchRequests returns the requests an adapter compares with core's
// Handler: every endpoint and alias, per-check paths with escapes, the
// query parameters and their errors, Accept, HEAD and other methods.
func MatchRequests() []MatchRequest {
	return []MatchRequest{
		{http.MethodGet, "/livez", "", false, 200},
		{http.MethodGet, "/readyz", "", false, 200},
		{http.MethodGet, "/readyz", "", true, 503},
		{http.MethodGet, "/startupz", "", false, 200},
		{http.MethodGet, "/healthz", "", false, 200},
		{http.MethodGet, "/ready", "", true, 503},
		{http.MethodGet, "/readyz/", "", false, 200},
		{http.MethodGet, "/readyz/db", "", false, 200},
		{http.MethodGet, "/readyz/queue", "", true, 503},
		{http.MethodGet, "/livez/db:primary", "", false, 200},
		{http.MethodGet, "/readyz/db%3Aprimary", "", false, 200},
		{http.MethodGet, "/startupz/boot", "", false, 200},
		{http.MethodGet, "/livez/db", "", false, 404},
		{http.MethodGet, "/readyz/DB", "", false, 404},
		{http.MethodGet, "/readyz/nope", "", false, 404},
		{http.MethodGet, "/readyz/no%20such", "", false, 404},
		{http.MethodGet, "/readyz/100%25", "", false, 404},
		{http.MethodGet, "/readyz?verbose", "", false, 200},
		{http.MethodGet, "/readyz?verbose", "", true, 503},
		{http.MethodGet, "/readyz?verbose=false", "", false, 200},
		{http.MethodGet, "/readyz?verbose=maybe", "", false, 400},
		{http.MethodGet, "/readyz?exclude=cache", "", false, 200},
		{http.MethodGet, "/readyz?exclude=queue&verbose", "", true, 200},
		{http.MethodGet, "/readyz?exclude=nope", "", false, 400},
		{http.MethodGet, "/readyz?exclude=%ZZ", "", false, 400},
		{http.MethodGet, "/readyz", "application/health+json", false, 200},
		{http.MethodGet, "/livez/db:primary", "application/health+json", false, 200},
		{http.MethodHead, "/readyz", "", false, 200},
		{http.MethodHead, "/readyz", "", true, 503},
		{http.MethodHead, "/livez/db:primary", "", false, 200},
		{http.MethodPost, "/readyz", "", false, 405},
		{http.MethodDelete, "/livez/db", "", false, 405},
		{http.MethodOptions, "/healthz", "", false, 405},
	}
}
