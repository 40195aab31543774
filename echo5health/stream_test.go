package echo5health_test

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echo5health"
)

// Streamed responses (http.NewResponseController(c.Response()).Flush) are covered by the conformance
// suite. What follows is the part net/http does not do for Drain: a
// hijacked connection.

// TestDrainHijack checks what Drain documents for hijacked connections
// (conformance.Hijack).
func TestDrainHijack(t *testing.T) {
	t.Parallel()
	conformance.Hijack(t, serveHijack)
}

// serveHijack is the HijackServeFunc: an echo instance behind Drain,
// through Serve, whose handler hijacks with http.NewResponseController(c.Response()).Hijack.
func serveHijack(ctx context.Context, h *core.Registry, ln net.Listener, hijacked func(net.Conn)) error {
	e := echo.New()
	e.Use(echo5health.Drain(h))
	e.GET("/app/hijack", func(c *echo.Context) error {
		conn, _, err := http.NewResponseController(c.Response()).Hijack()
		if err != nil {
			return err
		}
		hijacked(conn)
		return nil
	})
	return echo5health.Serve(ctx, e, ln, h)
}
