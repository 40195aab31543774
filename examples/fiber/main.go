// Command fiber is the probekit example service on fiber (fasthttp): the
// probes, GET /orders/{id} from SQLite and GET /slow?ms=N, with a graceful
// drain on SIGTERM. Configure it with -port/PORT,
// -propagation-delay/PROPAGATION_DELAY and -drain-timeout/DRAIN_TIMEOUT
// (-h lists every setting).
package main

import (
	"context"
	"os"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/probekit/probekit/examples/internal/demo"
	"github.com/probekit/probekit/fiberhealth"
)

func main() { os.Exit(demo.Main("fiber", os.Args[1:], serve)) }

func serve(ctx context.Context, app *demo.App) error {
	h := app.Health
	f := fiber.New(fiber.Config{DisableStartupMessage: true}) // the registry logs the lifecycle
	// fiber runs handlers in registration order and /metrics does not call
	// Next: registered first, it is not drained, as a scrape is not a user
	// request.
	f.Get(demo.MetricsPath, adaptor.HTTPHandler(app.Metrics))
	// Drain first, outermost: it counts in-flight requests, never probes,
	// and so also counts the panics recover turns into errors.
	f.Use(fiberhealth.Drain(h), recover.New())
	fiberhealth.Register(f, h) // /livez /readyz /startupz (+ /healthz /ready)
	f.Get("/orders/:id", func(c *fiber.Ctx) error {
		code, body := app.Order(c.UserContext(), c.Params("id"))
		return c.Status(code).JSON(body)
	})
	f.Get("/slow", func(c *fiber.Ctx) error {
		// c.UserContext, not c.Context: fasthttp ends the latter when the
		// server shuts down, which would cut the very requests that the
		// drain waits for.
		code, body := demo.Slow(c.UserContext(), c.Query("ms"))
		return c.Status(code).JSON(body)
	})
	// Serve until SIGTERM, then: readiness 503, wait the propagation delay,
	// close the listener, wait for in-flight requests, run shutdown hooks.
	return fiberhealth.Run(ctx, f, app.Config.Addr(), h)
}
