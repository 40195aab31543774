package echohealth_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echohealth"
)

// TestConformance runs probekit's shared adapter suite against echohealth.
func TestConformance(t *testing.T) {
	t.Parallel()
	conformance.Run(t, func(ctx context.Context, h *core.Registry, ln net.Listener, cfg conformance.Config) error {
		e := echo.New()
		e.Use(echohealth.Drain(h), middleware.Recover())
		if cfg.Prefix == "" {
			echohealth.Register(e, h)
		} else {
			echohealth.Register(e.Group(cfg.Prefix), h)
		}
		e.GET("/app/*", func(c echo.Context) error {
			req := c.Request()
			code, body := cfg.App(req.URL.Path, req.URL.RawQuery)
			return c.String(code, body)
		})
		e.GET("/stream/*", func(c echo.Context) error {
			req, resp := c.Request(), c.Response()
			resp.Header().Set(echo.HeaderContentType, echo.MIMETextPlainCharsetUTF8)
			resp.WriteHeader(http.StatusOK)
			cfg.Stream(req.URL.Path, func(chunk string) error {
				if _, err := io.WriteString(resp, chunk); err != nil {
					return err
				}
				resp.Flush()
				return req.Context().Err() // the client hung up
			})
			return nil
		})
		return echohealth.Serve(ctx, e, ln, h)
	})
}
