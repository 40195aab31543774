package fiber3health_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/fiber3health"
	"github.com/valyala/fasthttp"
)

// newRequestCtx returns a fasthttp request context for GET target, to be
// served again and again through an app's handler, as fiber's own
// benchmarks do.
func newRequestCtx(target string) *fasthttp.RequestCtx {
	fctx := &fasthttp.RequestCtx{}
	fctx.Request.Header.SetMethod(fiber.MethodGet)
	fctx.Request.SetRequestURI(target)
	return fctx
}

// benchServe runs GET target through app's fasthttp handler on one reused
// RequestCtx.
func benchServe(b *testing.B, app *fiber.App, target string, want int) {
	b.Helper()
	handler := app.Handler()
	fctx := newRequestCtx(target)
	handler(fctx)
	if got := fctx.Response.StatusCode(); got != want {
		b.Fatalf("GET %s = %d, want %d", target, got, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		handler(fctx)
	}
}

// noop is a middleware that only calls c.Next(): what fiber itself charges
// for one more handler in the chain.
func noop(c fiber.Ctx) error { return c.Next() }

// drainApps returns the three apps BenchmarkDrain and TestDrainNoAlloc
// compare: a bare route, the route behind noop, the route behind Drain.
// Drain's own cost is its difference from "noop".
func drainApps(h *core.Registry) []struct {
	name string
	app  *fiber.App
} {
	apps := []struct {
		name string
		app  *fiber.App
	}{{"bare", fiber.New()}, {"noop", fiber.New()}, {"drain", fiber.New()}}
	apps[1].app.Use(noop)
	apps[2].app.Use(fiber3health.Drain(h))
	for _, a := range apps {
		a.app.Get("/app/orders", func(c fiber.Ctx) error { return c.SendStatus(http.StatusNoContent) })
	}
	return apps
}

// BenchmarkDrain compares a bare route with the same route behind a no-op
// middleware (the baseline) and behind Drain.
func BenchmarkDrain(b *testing.B) {
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range drainApps(h) {
		b.Run(a.name, func(b *testing.B) {
			benchServe(b, a.app, "/app/orders", http.StatusNoContent)
		})
	}
}

// BenchmarkProbe probes /readyz, with 5 background (cached) checks, the
// kubelet's steady state: "fiber3" through Drain and fiber's router. The
// baselines: "core" is core's own net/http handler, "static" the same
// answer (status, headers, body, captured once) written by a plain fiber
// handler behind Drain, what fiber itself charges for routing and writing
// it; the adapter's own cost is "fiber3" less "static".
func BenchmarkProbe(b *testing.B) {
	h := conformance.BenchRegistry(b)
	b.Run("core", func(b *testing.B) {
		conformance.BenchHandler(b, h.Handler(), "/readyz", http.StatusOK)
	})
	b.Run("static", func(b *testing.B) {
		benchServe(b, staticApp(h), "/readyz", http.StatusOK)
	})
	b.Run("fiber3", func(b *testing.B) {
		benchServe(b, probeApp(h), "/readyz", http.StatusOK)
	})
}

// staticApp serves GET /readyz behind Drain with a plain fiber handler
// that writes h's current readiness answer, rendered once.
func staticApp(h *core.Registry) *fiber.App {
	resp := h.Probe(context.Background(), core.ProbeRequest{Method: http.MethodGet, Kind: core.Readiness})
	app := fiber.New()
	app.Use(fiber3health.Drain(h))
	app.Get("/readyz", func(c fiber.Ctx) error {
		resp.Headers(c.Set)
		return c.Status(resp.Code).Send(resp.Body)
	})
	return app
}

// probeApp is the app of BenchmarkProbe and TestProbeNoAlloc.
func probeApp(h *core.Registry) *fiber.App {
	app := fiber.New()
	app.Use(fiber3health.Drain(h))
	fiber3health.Register(app, h)
	return app
}
