package ginhealth_test

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/ginhealth"
)

// Streamed responses (gin's c.Stream) are covered by the conformance suite.
// What follows is the part net/http does not do for Drain: a hijacked
// connection.

// TestDrainHijack checks what Drain documents for hijacked connections
// (conformance.Hijack).
func TestDrainHijack(t *testing.T) {
	t.Parallel()
	conformance.Hijack(t, serveHijack)
}

// serveHijack is the HijackServeFunc: a gin engine behind Drain, through
// Serve, whose handler hijacks with gin's c.Writer.Hijack.
func serveHijack(ctx context.Context, h *core.Registry, ln net.Listener, hijacked func(net.Conn)) error {
	r := gin.New()
	r.Use(ginhealth.Drain(h))
	r.GET("/app/hijack", func(c *gin.Context) {
		conn, _, err := c.Writer.Hijack()
		if err != nil {
			c.String(http.StatusInternalServerError, "%v", err)
			return
		}
		hijacked(conn)
	})
	return ginhealth.Serve(ctx, r, ln, h)
}
