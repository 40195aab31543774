package echo5health_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echo5health"
)

// TestConformance runs probekit's shared adapter suite against echo5health.
func TestConformance(t *testing.T) {
	t.Parallel()
	conformance.Run(t, func(ctx context.Context, h *core.Registry, ln net.Listener, cfg conformance.Config) error {
		e := echo.New()
		e.Use(echo5health.Drain(h), middleware.Recover())
		if cfg.Prefix == "" {
			echo5health.Register(e, h)
		} else {
			echo5health.Register(e.Group(cfg.Prefix), h)
		}
		e.GET("/app/*", func(c *echo.Context) error {
			req := c.Request()
			code, body := cfg.App(req.URL.Path, req.URL.RawQuery)
			return c.String(code, body)
		})
		e.GET("/stream/*", func(c *echo.Context) error {
			req, resp := c.Request(), c.Response()
			rc := http.NewResponseController(resp) // echo v5's Response() is an http.ResponseWriter
			resp.Header().Set(echo.HeaderContentType, echo.MIMETextPlainCharsetUTF8)
			resp.WriteHeader(http.StatusOK)
			cfg.Stream(req.URL.Path, func(chunk string) error {
				if _, err := io.WriteString(resp, chunk); err != nil {
					return err
				}
				if err := rc.Flush(); err != nil {
					return err
				}
				return req.Context().Err() // the client hung up
			})
			return nil
		})
		return echo5health.Serve(ctx, e, ln, h)
	})
}
