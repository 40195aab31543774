package echohealth_test

import (
	"testing"

	"github.com/probekit/probekit/echohealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
)

// echo allocates for each e.Use middleware per request, so the
// guards compare with the same router without probekit: Drain and Register
// add no allocation of their own. Not parallel: AllocsPerRun counts the
// whole process's allocations.

func TestDrainNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	base := conformance.AllocsPerRequest(drainEcho(t, noopFor), "/app/orders")
	if n := conformance.AllocsPerRequest(drainEcho(t, echohealth.Drain), "/app/orders"); n != base {
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
	base := conformance.AllocsPerRequest(readyzEcho(h, false), "/readyz")
	if n := conformance.AllocsPerRequest(readyzEcho(h, true), "/readyz"); n != base {
		t.Errorf("allocations per cached /readyz through Register = %v, through core's Handler %v; want as many", n, base)
	}
}
