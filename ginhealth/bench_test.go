package ginhealth_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/ginhealth"
)

// The adapter's overhead, each benchmark against its baseline in the same
// run (compare them with `benchstat -col .name`, see docs/operations.md):
//
//   - BenchmarkDrain against BenchmarkNoopMiddleware: the same route behind
//     Drain or behind a middleware that only calls c.Next. Target: Drain
//     within 15 ns of it and no allocation more.
//   - BenchmarkCachedReadyz against BenchmarkCoreReadyz: /readyz with five
//     background checks through Register, or through core's own Handler
//     (gin.WrapH) on the same engine. Target: within 100 ns.

func ok(c *gin.Context) { c.Status(http.StatusOK) }

// noop is the baseline middleware: it only calls c.Next.
func noop(c *gin.Context) { c.Next() }

func noopFor(*core.Registry) gin.HandlerFunc { return noop }

// drainEngine is an engine with its probes registered and depth times mw in front of
// the application route /app/orders.
func drainEngine(tb testing.TB, mw func(*core.Registry) gin.HandlerFunc, depth int) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = h.Close() })
	r := gin.New()
	for range depth {
		r.Use(mw(h))
	}
	ginhealth.Register(r, h)
	r.GET("/app/orders", ok)
	return r
}

// depths are the numbers of middleware in a row the Drain benchmarks run:
// 1 is the real set-up; 10 multiplies the middleware's own cost tenfold
// against the router's, so that it stands out of a loaded machine's noise.
// (Drain/depth=10 - NoopMiddleware/depth=10) / 10 is then the cost of one.
var depths = []int{1, 10}

func BenchmarkNoopMiddleware(b *testing.B) {
	for _, d := range depths {
		b.Run(fmt.Sprintf("depth=%d", d), func(b *testing.B) {
			conformance.BenchHandler(b, drainEngine(b, noopFor, d), "/app/orders", http.StatusOK)
		})
	}
}

func BenchmarkDrain(b *testing.B) {
	for _, d := range depths {
		b.Run(fmt.Sprintf("depth=%d", d), func(b *testing.B) {
			conformance.BenchHandler(b, drainEngine(b, ginhealth.Drain, d), "/app/orders", http.StatusOK)
		})
	}
}

// readyzEngine serves /readyz of h: through Register when adapter is true,
// else through core's Handler on the same routes.
func readyzEngine(h *core.Registry, adapter bool) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if adapter {
		ginhealth.Register(r, h)
	} else {
		// The routes Register adds, so that both route through the same tree.
		viaCore := gin.WrapH(h.Handler())
		for _, e := range core.Endpoints() {
			r.Any(e.Path, viaCore)
			r.Any(e.Path+"/", viaCore)
			r.Any(e.Path+"/:check", viaCore)
		}
	}
	return r
}

func BenchmarkCoreReadyz(b *testing.B) {
	conformance.BenchHandler(b, readyzEngine(conformance.BenchRegistry(b), false), "/readyz", http.StatusOK)
}

func BenchmarkCachedReadyz(b *testing.B) {
	conformance.BenchHandler(b, readyzEngine(conformance.BenchRegistry(b), true), "/readyz", http.StatusOK)
}
