package fiberhealth_test

import (
	"net/http"
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/fiberhealth"
)

// fiber serves a route on a reused request context without allocating, and
// so must Drain and Register. Not parallel: AllocsPerRun counts the whole
// process's allocations.

func TestDrainNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	for _, target := range []string{"/app/orders", "/readyz"} {
		want := http.StatusNoContent
		if target == "/readyz" {
			want = http.StatusOK
		}
		serve := serveFiber(t, overheadApp(t, fiberhealth.Drain, 1), target, want)
		if n := testing.AllocsPerRun(100, serve); n != 0 {
			t.Errorf("GET %s behind Drain: %v allocs, want 0", target, n)
		}
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
	serve := serveFiber(t, readyzApp(h, viaRegister), "/readyz", http.StatusOK)
	if n := testing.AllocsPerRun(100, serve); n != 0 {
		t.Errorf("cached /readyz through Register: %v allocs, want 0", n)
	}
}
