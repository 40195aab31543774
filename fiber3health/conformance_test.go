package fiber3health_test

import (
	"bufio"
	"context"
	"net"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/fiber3health"
)

// TestConformance runs probekit's shared adapter suite against fiber3health.
func TestConformance(t *testing.T) {
	t.Parallel()
	conformance.Run(t, func(ctx context.Context, h *core.Registry, ln net.Listener, cfg conformance.Config) error {
		app := newServerApp()
		app.Use(fiber3health.Drain(h), recover.New())
		if cfg.Prefix == "" {
			fiber3health.Register(app, h)
		} else {
			fiber3health.Register(app.Group(cfg.Prefix), h)
		}
		app.Get("/app/*", func(c fiber.Ctx) error {
			// App may keep what it is given: copy out of fasthttp's
			// reused buffers.
			code, body := cfg.App(string(c.Request().URI().Path()), string(c.Request().URI().QueryString()))
			return c.Status(code).SendString(body)
		})
		app.Get("/stream/*", func(c fiber.Ctx) error {
			path := string(c.Request().URI().Path())
			c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
			return c.SendStreamWriter(func(w *bufio.Writer) {
				cfg.Stream(path, func(chunk string) error {
					if _, err := w.WriteString(chunk); err != nil {
						return err
					}
					return w.Flush() // fails once fasthttp closed the stream: the client is gone
				})
			})
		})
		return fiber3health.Serve(ctx, app, ln, h)
	})
}
