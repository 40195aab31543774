package echohealth_test

import (
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

// drainEcho is an echo with its probes registered and mw in front of the
// application route /app/orders.
func drainEcho(tb testing.TB, mw func(*core.Registry) echo.MiddlewareFunc) http.Handler {
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = h.Close() })
	e := echo.New()
	e.Use(mw(h))
	echohealth.Register(e, h)
	e.GET("/app/orders", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	return e
}

func BenchmarkNoopMiddleware(b *testing.B) {
	conformance.BenchHandler(b, drainEcho(b, noopFor), "/app/orders", http.StatusNoContent)
}

func BenchmarkDrain(b *testing.B) {
	conformance.BenchHandler(b, drainEcho(b, echohealth.Drain), "/app/orders", http.StatusNoContent)
}

// readyzEcho serves /readyz of h: through Register when adapter is true,
// else through core's Handler on a route of its own.
func readyzEcho(h *core.Registry, adapter bool) http.Handler {
	e := echo.New()
	if adapter {
		echohealth.Register(e, h)
	} else {
		e.Any("/readyz", echo.WrapHandler(h.Handler()))
	}
	return e
}

func BenchmarkCoreReadyz(b *testing.B) {
	conformance.BenchHandler(b, readyzEcho(conformance.BenchRegistry(b), false), "/readyz", http.StatusOK)
}

func BenchmarkCachedReadyz(b *testing.B) {
	conformance.BenchHandler(b, readyzEcho(conformance.BenchRegistry(b), true), "/readyz", http.StatusOK)
}
