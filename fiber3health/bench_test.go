package fiber3health_test

import (
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/fiber3health"
	"github.com/valyala/fasthttp"
)

// benchServe runs GET target through app's fasthttp handler on one reused
// RequestCtx, as fiber's own benchmarks do.
func benchServe(b *testing.B, app *fiber.App, target string, want int) {
	b.Helper()
	handler := app.Handler()
	fctx := &fasthttp.RequestCtx{}
	fctx.Request.Header.SetMethod(fiber.MethodGet)
	fctx.Request.SetRequestURI(target)
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

// BenchmarkDrain compares a bare route with the same route behind Drain.
// "noop" is the route behind a middleware that only calls c.Next(): what
// fiber itself charges for one more handler in the chain, so that Drain's own
// cost is its difference from "noop".
func BenchmarkDrain(b *testing.B) {
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		mw   []fiber.Handler
	}{
		{"bare", nil},
		{"noop", []fiber.Handler{func(c fiber.Ctx) error { return c.Next() }}},
		{"drain", []fiber.Handler{fiber3health.Drain(h)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			app := fiber.New()
			for _, m := range bc.mw {
				app.Use(m)
			}
			app.Get("/app/orders", func(c fiber.Ctx) error { return c.SendStatus(http.StatusNoContent) })
			benchServe(b, app, "/app/orders", http.StatusNoContent)
		})
	}
}

// BenchmarkProbe probes /readyz, with 5 background (cached) checks, through
// fiber's router: the kubelet's steady state.
func BenchmarkProbe(b *testing.B) {
	h := conformance.BenchRegistry(b)
	app := fiber.New()
	app.Use(fiber3health.Drain(h))
	fiber3health.Register(app, h)
	benchServe(b, app, "/readyz", http.StatusOK)
}
