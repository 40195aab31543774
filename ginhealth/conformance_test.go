package ginhealth_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/ginhealth"
)

// TestConformance runs probekit's shared adapter suite against ginhealth.
func TestConformance(t *testing.T) {
	t.Parallel()
	conformance.Run(t, serve)
}

// serve is the suite's ServeFunc: a gin engine as a service would build it.
func serve(ctx context.Context, h *core.Registry, ln net.Listener, cfg conformance.Config) error {
	r := gin.New()
	// The suite panics on purpose; keep gin's stack traces out of the output.
	r.Use(ginhealth.Drain(h), gin.RecoveryWithWriter(io.Discard))
	if cfg.Prefix == "" {
		ginhealth.Register(r, h)
	} else {
		ginhealth.Register(r.Group(cfg.Prefix), h)
	}
	r.GET("/app/*path", func(c *gin.Context) {
		code, body := cfg.App(c.Request.URL.Path, c.Request.URL.RawQuery)
		c.Data(code, "text/plain; charset=utf-8", []byte(body))
	})
	r.GET("/stream/*path", func(c *gin.Context) {
		c.Header("Content-Type", "text/plain; charset=utf-8")
		cfg.Stream(c.Request.URL.Path, func(chunk string) error {
			var err error
			gone := c.Stream(func(w io.Writer) bool { // one step per chunk, flushed by Stream
				_, err = io.WriteString(w, chunk)
				return false
			})
			if gone && err == nil {
				err = errClientGone
			}
			return err
		})
	})
	return ginhealth.Serve(ctx, r, ln, h)
}

// errClientGone is what the streaming route's write returns once gin's
// Stream reports that the client went away.
var errClientGone = errors.New("client gone")
