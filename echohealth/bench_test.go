package echohealth_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echohealth"
)

// The adapter's overhead, each benchmark against its baseline in the same
// run (compare them with `benchstat -col .name`, see docs/operations.md):
//
//   - BenchmarkDrain against BenchmarkNoopMiddleware: the same route behind
//     Drain or behind a middleware that only calls next. Target: Drain
//     within 15 ns of it and no allocation more. echo builds its chain of
//     e.Use middleware per request, so any middleware, the no-op one too,
//     costs one small allocation there.
//   - BenchmarkCachedReadyz against BenchmarkCoreReadyz: /readyz with five
//     background checks through Register, or through core's own Handler
//     (echo.WrapHandler) on the same router. Target: within 100 ns.

// noop is the baseline middleware: it only calls next.
func noop(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error { return next(c) }
}

func noopFor(*core.Registry) echo.MiddlewareFunc { return noop }

// drainEcho is an echo with its probes registered and depth times mw in front of the
// application route /app/orders.
func drainEcho(tb testing.TB, mw func(*core.Registry) echo.MiddlewareFunc, depth int) http.Handler {
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = h.Close() })
	e := echo.New()
	for range depth {
		e.Use(mw(h))
	}
	echohealth.Register(e, h)
	e.GET("/app/orders", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
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
			conformance.BenchHandler(b, drainEcho(b, echohealth.Drain, d), "/app/orders", http.StatusNoContent)
		})
	}
}

// readyzEcho serves /readyz of h: through Register when adapter is true,
// else through core's Handler on the same routes.
func readyzEcho(h *core.Registry, adapter bool) http.Handler {
	e := echo.New()
	if adapter {
		echohealth.Register(e, h)
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
