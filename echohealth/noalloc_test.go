package echohealth_test

import (
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echohealth"
)

// echo builds its chain of e.Use middleware per request, one allocation for
// each, so Drain is held to a middleware that only calls next: no allocation
// more. A probe through Register, with no middleware, allocates nothing.
// Not parallel: AllocsPerRun counts the whole process's allocations.

func TestDrainNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	base := conformance.AllocsPerRequest(drainEcho(t, noopFor, 1), "/app/orders")
	if n := conformance.AllocsPerRequest(drainEcho(t, echohealth.Drain, 1), "/app/orders"); n != base {
		t.Errorf("allocations per request behind Drain = %v, behind a no-op middleware %v; want as many", n, base)
	}
}

func TestCachedReadyzNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	h.MarkStarted()
	if n := conformance.AllocsPerRequest(readyzEcho(h, true), "/readyz"); n != 0 {
		t.Errorf("cached /readyz through Register: %v allocs, want 0", n)
	}
}
