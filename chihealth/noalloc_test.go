package chihealth_test

import (
	"log/slog"
	"testing"

	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
)

// chi allocates for every request it routes (its route context), so the
// guards compare with the same router without probekit: Drain and Register
// add no allocation of their own. Not parallel: AllocsPerRun counts the
// whole process's allocations.

func TestDrainNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	base := conformance.AllocsPerRequest(drainRouter(t, noopFor, 1), "/app/orders")
	if n := conformance.AllocsPerRequest(drainRouter(t, chihealth.Drain, 1), "/app/orders"); n != base {
		t.Errorf("allocations per request behind Drain = %v, behind a no-op middleware %v; want as many", n, base)
	}
}

func TestCachedReadyzNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	h.MarkStarted()
	base := conformance.AllocsPerRequest(readyzRouter(h, false), "/readyz")
	if n := conformance.AllocsPerRequest(readyzRouter(h, true), "/readyz"); n != base {
		t.Errorf("allocations per cached /readyz through Register = %v, through core's Handler %v; want as many", n, base)
	}
}
