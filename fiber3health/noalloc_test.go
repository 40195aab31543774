package fiber3health_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/fiber3health"
)

// fiber serves a route on a reused request context without allocating, and
// so must Drain and Register. Not parallel: AllocsPerRun counts the whole
// process's allocations.

// TestDrainNoAlloc holds Drain to no allocation, for an application route
// and a probe behind it, also while the registry drains (Connection: close).
func TestDrainNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	for _, draining := range []bool{false, true} {
		h, err := core.New(core.Options{Logger: quiet, PropagationDelay: time.Millisecond, DrainTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = h.Close() })
		h.MarkStarted()
		if draining {
			if err := h.Shutdown(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			target string
			want   int
		}{
			{"/app/orders", http.StatusNoContent},
			{"/livez", http.StatusOK},
		} {
			serve := serveFiber(t, overheadAppOf(h, fiber3health.Drain, 1), tc.target, tc.want)
			if n := testing.AllocsPerRun(100, serve); n != 0 {
				t.Errorf("draining=%v: GET %s behind Drain: %v allocs, want 0", draining, tc.target, n)
			}
		}
	}
}

// TestCachedReadyzNoAlloc holds a probe answered from core's cache through
// Register to no allocation.
func TestCachedReadyzNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	h := readyRegistry(t)
	for _, target := range []string{"/readyz", "/livez", "/readyz?verbose"} {
		serve := serveFiber(t, overheadAppOf(h, fiber3health.Drain, 1), target, http.StatusOK)
		if n := testing.AllocsPerRun(100, serve); n != 0 {
			t.Errorf("GET %s through Register: %v allocs, want 0", target, n)
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
