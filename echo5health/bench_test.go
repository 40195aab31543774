package echo5health_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echo5health"
)

// noop is a middleware that only calls next: what echo itself charges for
// one more middleware in the chain.
func noop(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error { return next(c) }
}

// drainServers returns the three instances BenchmarkDrain and
// TestDrainNoAlloc compare: a bare route, the route behind noop, the route
// behind Drain. Drain's own cost is its difference from "noop".
func drainServers(h *core.Registry) []struct {
	name string
	e    *echo.Echo
} {
	servers := []struct {
		name string
		e    *echo.Echo
	}{{"bare", echo.New()}, {"noop", echo.New()}, {"drain", echo.New()}}
	servers[1].e.Use(noop)
	servers[2].e.Use(echo5health.Drain(h))
	for _, s := range servers {
		s.e.GET("/app/orders", func(c *echo.Context) error { return c.NoContent(http.StatusNoContent) })
	}
	return servers
}

// BenchmarkDrain compares a bare route with the same route behind a no-op
// middleware (the baseline) and behind Drain.
func BenchmarkDrain(b *testing.B) {
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range drainServers(h) {
		b.Run(s.name, func(b *testing.B) {
			conformance.BenchHandler(b, s.e, "/app/orders", http.StatusNoContent)
		})
	}
}

// BenchmarkProbe probes /readyz, with 5 background (cached) checks: "core"
// through core's own net/http handler (the baseline), "echo5" through Drain
// and echo's router, the kubelet's steady state.
func BenchmarkProbe(b *testing.B) {
	h := conformance.BenchRegistry(b)
	b.Run("core", func(b *testing.B) {
		conformance.BenchHandler(b, h.Handler(), "/readyz", http.StatusOK)
	})
	b.Run("echo5", func(b *testing.B) {
		conformance.BenchHandler(b, probeServer(h), "/readyz", http.StatusOK)
	})
}

// probeServer is the instance of BenchmarkProbe and TestProbeNoAlloc.
func probeServer(h *core.Registry) *echo.Echo {
	e := echo.New()
	e.Use(echo5health.Drain(h))
	echo5health.Register(e, h)
	return e
}
