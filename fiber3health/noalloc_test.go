package fiber3health_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/probekit/probekit/core"
)

// allocsPerRequest serves GET target through app once, so that the app has
// built its route tree and fasthttp its buffers, and returns the average
// allocations of the same request after it. testing.AllocsPerRun counts the
// whole process: the calling test must not run in parallel with others.
func allocsPerRequest(t *testing.T, app *fiber.App, target string, want int) float64 {
	t.Helper()
	handler := app.Handler()
	fctx := newRequestCtx(target)
	handler(fctx)
	if got := fctx.Response.StatusCode(); got != want {
		t.Fatalf("GET %s = %d, want %d", target, got, want)
	}
	return testing.AllocsPerRun(100, func() { handler(fctx) })
}

// TestDrainNoAlloc checks that Drain allocates nothing a no-op middleware
// does not, also while draining. Not parallel: see allocsPerRequest.
func TestDrainNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	for _, draining := range []bool{false, true} {
		h, err := core.New(core.Options{Logger: quiet, PropagationDelay: time.Millisecond, DrainTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if draining {
			if err := h.Shutdown(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
		}
		allocs := map[string]float64{}
		for _, a := range drainApps(h) {
			allocs[a.name] = allocsPerRequest(t, a.app, "/app/orders", http.StatusNoContent)
		}
		if allocs["drain"] > allocs["noop"] {
			t.Errorf("draining=%v: allocations per request behind Drain = %v, behind a no-op middleware %v; want no more",
				draining, allocs["drain"], allocs["noop"])
		}
	}
}

// TestProbeNoAlloc checks that a cached /readyz answer, through Drain and
// the router, allocates nothing. Not parallel: see allocsPerRequest.
func TestProbeNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	h := readyRegistry(t)
	for _, target := range []string{"/readyz", "/livez", "/readyz?verbose"} {
		if n := allocsPerRequest(t, probeApp(h), target, http.StatusOK); n != 0 {
			t.Errorf("GET %s: %v allocations per probe, want 0", target, n)
		}
	}
}

// readyRegistry returns a started registry whose one background check has
// passed, so that probes are answered from core's cache.
func readyRegistry(t *testing.T) *core.Registry {
	t.Helper()
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }, Interval: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		rep, err := h.Evaluate(context.Background(), core.Readiness)
		if err == nil && rep.Status == core.StatusOK {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("background check not ok after 10s: %+v, %v", rep, err)
		}
		time.Sleep(time.Millisecond)
	}
}
