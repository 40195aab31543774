package chihealth_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
)

// The adapter's overhead, each benchmark against its baseline in the same
// run (compare them with `benchstat -col .name`, see docs/operations.md):
//
//   - BenchmarkDrain against BenchmarkNoopMiddleware: the same route behind
//     Drain or behind a middleware that only calls next. Target: Drain
//     within 15 ns of it and no allocation more.
//   - BenchmarkCachedReadyz against BenchmarkCoreReadyz: /readyz with five
//     background checks through Register, or through core's own Handler
//     mounted on the same router. Target: within 100 ns.

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

// noop is the baseline middleware: it only calls next.
func noop(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { next.ServeHTTP(w, req) })
}

// drainRouter is a router with its probes registered and depth times mw in front of the
// application route /app/orders.
func drainRouter(tb testing.TB, mw func(*core.Registry) func(http.Handler) http.Handler, depth int) http.Handler {
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = h.Close() })
	r := chi.NewRouter()
	for range depth {
		r.Use(mw(h))
	}
	chihealth.Register(r, h)
	r.Get("/app/orders", ok)
	return r
}

func noopFor(*core.Registry) func(http.Handler) http.Handler { return noop }

// depths are the numbers of middleware in a row the Drain benchmarks run:
// 1 is the real set-up; 10 multiplies the middleware's own cost tenfold
// against the router's, so that it stands out of a loaded machine's noise.
// (Drain/depth=10 - NoopMiddleware/depth=10) / 10 is then the cost of one.
var depths = []int{1, 10}

func BenchmarkNoopMiddleware(b *testing.B) {
	for _, d := range depths {
		b.Run(fmt.Sprintf("depth=%d", d), func(b *testing.B) {
			conformance.BenchHandler(b, drainRouter(b, noopFor, d), "/app/orders", http.StatusOK)
		})
	}
}

func BenchmarkDrain(b *testing.B) {
	for _, d := range depths {
		b.Run(fmt.Sprintf("depth=%d", d), func(b *testing.B) {
			conformance.BenchHandler(b, drainRouter(b, chihealth.Drain, d), "/app/orders", http.StatusOK)
		})
	}
}

// readyzRouter serves /readyz of a registry with five cached checks:
// through Register when adapter is true, else through core's Handler on the
// same routes.
func readyzRouter(h *core.Registry, adapter bool) http.Handler {
	r := chi.NewRouter()
	if adapter {
		chihealth.Register(r, h)
	} else {
		// The routes Register adds, so that both route through the same tree.
		viaCore := h.Handler()
		for _, e := range core.Endpoints() {
			r.Handle(e.Path, viaCore)
			r.Handle(e.Path+"/", viaCore)
			r.Handle(e.Path+"/{check}", viaCore)
		}
	}
	return r
}

func BenchmarkCoreReadyz(b *testing.B) {
	conformance.BenchHandler(b, readyzRouter(conformance.BenchRegistry(b), false), "/readyz", http.StatusOK)
}

func BenchmarkCachedReadyz(b *testing.B) {
	conformance.BenchHandler(b, readyzRouter(conformance.BenchRegistry(b), true), "/readyz", http.StatusOK)
}
