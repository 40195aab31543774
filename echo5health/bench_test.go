package echo5health_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echo5health"
)

// The adapter's overhead, each benchmark against its baseline in the same
// run (compare them with `benchstat -col .name`, see docs/operations.md):
//
//   - BenchmarkDrain against BenchmarkNoopMiddleware: the same route behind
//     Drain or behind a middleware that only calls next. Target: Drain
//     within 15 ns of it and no allocation more. Unlike echo v4, echo v5
//     builds its chain of e.Use middleware once, not per request, so
//     neither allocates.
//   - BenchmarkCachedReadyz against BenchmarkCoreReadyz: /readyz with five
//     background checks through Register, or through core's own Handler
//     (echo.WrapHandler) on the same router. Target: within 100 ns.

// noop is the baseline middleware: it only calls next.
func noop(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error { return next(c) }
}

func noopFor(*core.Registry) echo.MiddlewareFunc { return noop }

// drainEcho is an echo with its probes registered and depth times mw in
// front of the application route /app/orders.
func drainEcho(tb testing.TB, mw func(*core.Registry) echo.MiddlewareFunc, depth int) http.Handler {
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = h.Close() })
	return drainEchoOf(h, mw, depth)
}

// drainEchoOf is drainEcho on a registry of the caller's.
func drainEchoOf(h *core.Registry, mw func(*core.Registry) echo.MiddlewareFunc, depth int) http.Handler {
	e := echo.New()
	for range depth {
		e.Use(mw(h))
	}
	echo5health.Register(e, h)
	e.GET("/app/orders", func(c *echo.Context) error { return c.NoContent(http.StatusNoContent) })
	return e
}

// depths are the numbers of middleware in a row the Drain benchmarks run:
// 1 is the real set-up; 10 multiplies the middleware's own cost tenfold
// against the router's, so that it stands out of a loaded machine's noise.
// (Drain/depth=10 - NoopMiddleware/depth=10) / 10 is then the cost of one.
var depths = []int{1, 10}

func BenchmarkNoopMiddleware(b *testing.B) {
	for _, d := range depths {
		b.Run(fmt.Sprintf("depth=%d", d), func(b *testing.B) {
			conformance.BenchHandler(b, drainEcho(b, noopFor, d), "/app/orders", http.StatusNoContent)
		})
	}
}

func BenchmarkDrain(b *testing.B) {
	for _, d := range depths {
		b.Run(fmt.Sprintf("depth=%d", d), func(b *testing.B) {
			conformance.BenchHandler(b, drainEcho(b, echo5health.Drain, d), "/app/orders", http.StatusNoContent)
		})
	}
}

// readyzEcho serves /readyz of h: through Register when adapter is true,
// else through core's Handler on the same routes.
func readyzEcho(h *core.Registry, adapter bool) http.Handler {
	e := echo.New()
	if adapter {
		echo5health.Register(e, h)
	} else {
		// The routes Register adds, so that both route through the same tree.
		viaCore := echo.WrapHandler(h.Handler())
		for _, ep := range core.Endpoints() {
			e.Any(ep.Path, viaCore)
			e.Any(ep.Path+"/", viaCore)
			e.Any(ep.Path+"/:check", viaCore)
		}
	}
	return e
}

func BenchmarkCoreReadyz(b *testing.B) {
	conformance.BenchHandler(b, readyzEcho(conformance.BenchRegistry(b), false), "/readyz", http.StatusOK)
}

func BenchmarkCachedReadyz(b *testing.B) {
	conformance.BenchHandler(b, readyzEcho(conformance.BenchRegistry(b), true), "/readyz", http.StatusOK)
}
