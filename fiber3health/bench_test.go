package fiber3health_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/fiber3health"
	"github.com/valyala/fasthttp"
)

// The adapter's overhead, each benchmark against its baseline in the same
// run (compare them with `benchstat -col .name`, see docs/operations.md):
//
//   - BenchmarkDrain against BenchmarkNoopMiddleware: the same route behind
//     Drain or behind a middleware that only calls c.Next. Target: Drain
//     within 15 ns of it and no allocation more.
//   - BenchmarkCachedReadyz against BenchmarkCoreReadyz: /readyz with five
//     background checks through Register, or a bare fiber route that asks
//     core (Registry.Probe) and sends its answer the plain fiber way (c.Set,
//     c.Status, c.Send), as core's Handler is the baseline of the net/http
//     adapters. Target: within 100 ns. BenchmarkBareReadyz, a route sending
//     the same answer taken once, is fiber's floor: the difference from it
//     includes core's own work.

// serveFiber serves GET target through app's fasthttp handler on one reused
// RequestCtx, as fiber's own benchmarks do, and returns a function that
// serves it again.
func serveFiber(tb testing.TB, app *fiber.App, target string, want int) func() {
	tb.Helper()
	handler := app.Handler()
	fctx := &fasthttp.RequestCtx{}
	fctx.Request.Header.SetMethod(fiber.MethodGet)
	fctx.Request.SetRequestURI(target)
	handler(fctx)
	if got := fctx.Response.StatusCode(); got != want {
		tb.Fatalf("GET %s = %d, want %d", target, got, want)
	}
	return func() { handler(fctx) }
}

func benchFiber(b *testing.B, app *fiber.App, target string, want int) {
	conformance.BenchLoop(b, serveFiber(b, app, target, want))
}

// noop is the baseline middleware: it only calls c.Next.
func noop(c fiber.Ctx) error { return c.Next() }

func noopFor(*core.Registry) fiber.Handler { return noop }

// overheadApp is an app with its probes registered and depth times mw in
// front of the application route /app/orders.
func overheadApp(tb testing.TB, mw func(*core.Registry) fiber.Handler, depth int) *fiber.App {
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = h.Close() })
	return overheadAppOf(h, mw, depth)
}

// overheadAppOf is overheadApp on a registry of the caller's.
func overheadAppOf(h *core.Registry, mw func(*core.Registry) fiber.Handler, depth int) *fiber.App {
	app := fiber.New()
	for range depth {
		app.Use(mw(h))
	}
	fiber3health.Register(app, h)
	app.Get("/app/orders", func(c fiber.Ctx) error { return c.SendStatus(http.StatusNoContent) })
	return app
}

// depths are the numbers of middleware in a row the Drain benchmarks run:
// 1 is the real set-up; 10 multiplies the middleware's own cost tenfold
// against the router's, so that it stands out of a loaded machine's noise.
// (Drain/depth=10 - NoopMiddleware/depth=10) / 10 is then the cost of one.
var depths = []int{1, 10}

func BenchmarkNoopMiddleware(b *testing.B) {
	for _, d := range depths {
		b.Run(fmt.Sprintf("depth=%d", d), func(b *testing.B) {
			benchFiber(b, overheadApp(b, noopFor, d), "/app/orders", http.StatusNoContent)
		})
	}
}

func BenchmarkDrain(b *testing.B) {
	for _, d := range depths {
		b.Run(fmt.Sprintf("depth=%d", d), func(b *testing.B) {
			benchFiber(b, overheadApp(b, fiber3health.Drain, d), "/app/orders", http.StatusNoContent)
		})
	}
}

// How readyzApp serves /readyz.
const (
	viaRegister = iota // fiber3health.Register
	viaCore            // a route asking Registry.Probe, written the plain fiber way
	viaBytes           // a route sending the answer taken once
)

// readyzApp serves /readyz of h as via says.
func readyzApp(h *core.Registry, via int) *fiber.App {
	app := fiber.New()
	switch via {
	case viaRegister:
		fiber3health.Register(app, h)
	case viaCore:
		app.All("/readyz", func(c fiber.Ctx) error {
			resp := h.Probe(c.Context(), core.ProbeRequest{
				Method:   c.Method(),
				Kind:     core.Readiness,
				RawQuery: string(c.Request().URI().QueryString()),
				Accept:   c.Get(fiber.HeaderAccept),
			})
			resp.Headers(func(k, v string) { c.Set(k, v) })
			return c.Status(resp.Code).Send(resp.Body)
		})
	case viaBytes:
		resp := h.Probe(context.Background(), core.ProbeRequest{Method: http.MethodGet, Kind: core.Readiness})
		app.All("/readyz", func(c fiber.Ctx) error {
			resp.Headers(func(k, v string) { c.Set(k, v) })
			return c.Status(resp.Code).Send(resp.Body)
		})
	}
	return app
}

func BenchmarkBareReadyz(b *testing.B) {
	benchFiber(b, readyzApp(conformance.BenchRegistry(b), viaBytes), "/readyz", http.StatusOK)
}

func BenchmarkCoreReadyz(b *testing.B) {
	benchFiber(b, readyzApp(conformance.BenchRegistry(b), viaCore), "/readyz", http.StatusOK)
}

func BenchmarkCachedReadyz(b *testing.B) {
	benchFiber(b, readyzApp(conformance.BenchRegistry(b), viaRegister), "/readyz", http.StatusOK)
}
