package ginhealth_test

import (
	"log/slog"
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/ginhealth"
)

// gin serves a route without allocating, and so must Drain and Register.
// Not parallel: AllocsPerRun counts the whole process's allocations.

func TestDrainNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	for _, target := range []string{"/app/orders", "/readyz"} {
		if n := conformance.AllocsPerRequest(drainEngine(t, ginhealth.Drain, 1), target); n != 0 {
			t.Errorf("GET %s behind Drain: %v allocs, want 0", target, n)
		}
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
	if n := conformance.AllocsPerRequest(readyzEngine(h, true), "/readyz"); n != 0 {
		t.Errorf("cached /readyz through Register: %v allocs, want 0", n)
	}
}
