package chihealth_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
)

// countingRegistry returns a registry with a synchronous readiness check
// that records in seen the in-flight count while it runs, that is while a
// probe of it is answered.
func countingRegistry(t *testing.T) (*core.Registry, *atomic.Int64) {
	t.Helper()
	h, err := core.New(core.Options{Service: "t", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	seen := new(atomic.Int64)
	if err := h.Register(core.Check{Name: "count", Check: func(context.Context) error {
		seen.Store(h.InFlight().Count())
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	return h, seen
}

// TestSubRouterPrefix documents what Drain counts for probes registered on a
// sub-router: nothing with Options.Prefix; without it, the probes answered
// before the probe handler learnt the prefix from chi's route patterns, and
// every probe when the mount pattern has a parameter, so that no fixed
// prefix exists.
func TestSubRouterPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mount  func(r chi.Router, h *core.Registry)
		target string
		// known: IsProbePath(target) before any request; counted: the
		// in-flight count seen by the first and the second probe.
		known   bool
		counted [2]int64
	}{
		{
			name: "Route with Prefix",
			mount: func(r chi.Router, h *core.Registry) {
				r.Route("/internal", func(r chi.Router) {
					chihealth.Register(r, h, chihealth.Options{Prefix: "/internal"})
				})
			},
			target: "/internal/readyz/count", known: true, counted: [2]int64{0, 0},
		},
		{
			name: "Route without Prefix",
			mount: func(r chi.Router, h *core.Registry) {
				r.Route("/internal", func(r chi.Router) { chihealth.Register(r, h) })
			},
			target: "/internal/readyz/count", counted: [2]int64{1, 0},
		},
		{
			name: "Mount without Prefix",
			mount: func(r chi.Router, h *core.Registry) {
				sub := chi.NewRouter()
				chihealth.Register(sub, h)
				r.Mount("/internal/", sub)
			},
			target: "/internal/readyz/count", counted: [2]int64{1, 0},
		},
		{
			name: "nested Route without Prefix",
			mount: func(r chi.Router, h *core.Registry) {
				r.Route("/internal", func(r chi.Router) {
					r.Route("/health", func(r chi.Router) { chihealth.Register(r, h) })
				})
			},
			target: "/internal/health/ready?verbose", counted: [2]int64{1, 0},
		},
		{
			name: "parameter in the mount path",
			mount: func(r chi.Router, h *core.Registry) {
				r.Route("/{tenant}/internal", func(r chi.Router) { chihealth.Register(r, h) })
			},
			target: "/acme/internal/readyz/count", counted: [2]int64{1, 1},
		},
		{
			name: "Group needs no Prefix",
			mount: func(r chi.Router, h *core.Registry) {
				r.Group(func(r chi.Router) { chihealth.Register(r, h) })
			},
			target: "/readyz/count", known: true, counted: [2]int64{0, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, seen := countingRegistry(t)
			r := chi.NewRouter()
			r.Use(chihealth.Drain(h))
			tc.mount(r, h)
			path, _, _ := strings.Cut(tc.target, "?")
			if got := h.IsProbePath(path); got != tc.known {
				t.Errorf("IsProbePath(%q) before any request = %v, want %v", path, got, tc.known)
			}
			for i, want := range tc.counted {
				seen.Store(-1)
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.target, nil))
				if rec.Code != http.StatusOK {
					t.Fatalf("GET %s = %d, want 200", tc.target, rec.Code)
				}
				if got := seen.Load(); got != want {
					t.Errorf("probe %d: in-flight count while answering = %d, want %d", i+1, got, want)
				}
				if n := h.InFlight().Count(); n != 0 {
					t.Errorf("probe %d: in-flight count after = %d, want 0", i+1, n)
				}
			}
		})
	}
}

// TestSubRouterPrefixNoAlloc checks that a probe under a sub-router
// registered without Options.Prefix costs, once the prefix is learnt, no
// more allocations than with the option. Not parallel: AllocsPerRun counts
// the whole process's allocations.
func TestSubRouterPrefixNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	allocs := func(opts ...chihealth.Options) float64 {
		h, err := core.New(core.Options{Service: "t", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		r := chi.NewRouter()
		r.Use(chihealth.Drain(h))
		r.Route("/internal", func(r chi.Router) { chihealth.Register(r, h, opts...) })
		return conformance.AllocsPerRequest(r, "/internal/livez") // the first request learns the prefix without the option
	}
	with := allocs(chihealth.Options{Prefix: "/internal"})
	without := allocs()
	if without > with {
		t.Errorf("allocations per probe without Options.Prefix = %v, with it %v; want no more", without, with)
	}
}
