package echo5health_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echo5health"
)

// BenchmarkDrain compares a bare route with the same route behind Drain.
// echo builds its middleware chain per request, so any e.Use middleware,
// even one that does nothing, costs one small allocation: "noop" is that
// baseline, and Drain's cost is its difference from "noop".
func BenchmarkDrain(b *testing.B) {
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	noop := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error { return next(c) }
	}
	for _, bc := range []struct {
		name string
		mw   []echo.MiddlewareFunc
	}{
		{"bare", nil},
		{"noop", []echo.MiddlewareFunc{noop}},
		{"drain", []echo.MiddlewareFunc{echo5health.Drain(h)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := echo.New()
			e.Use(bc.mw...)
			e.GET("/app/orders", func(c *echo.Context) error { return c.NoContent(http.StatusNoContent) })
			conformance.BenchHandler(b, e, "/app/orders", http.StatusNoContent)
		})
	}
}

// BenchmarkProbe probes /readyz, with 5 background (cached) checks, through
// echo's router: the kubelet's steady state.
func BenchmarkProbe(b *testing.B) {
	h := conformance.BenchRegistry(b)
	e := echo.New()
	e.Use(echo5health.Drain(h))
	echo5health.Register(e, h)
	conformance.BenchHandler(b, e, "/readyz", http.StatusOK)
}
