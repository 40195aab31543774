// Command fiber3 is the probekit example service on fiber v3 (fasthttp):
// the probes, GET /orders/{id} from SQLite and GET /slow?ms=N, with a
// graceful drain on SIGTERM. Configure it with -port/PORT,
// -propagation-delay/PROPAGATION_DELAY and -drain-timeout/DRAIN_TIMEOUT
// (-h lists every setting). It is examples/fiber moved to fiber v3: the
// probekit calls only change their import.
package main

import (
	"context"
	"os"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"

	"github.com/probekit/probekit/examples/internal/demo"
	"github.com/probekit/probekit/fiber3health"
)

func main() { os.Exit(demo.Main("fiber3", os.Args[1:], serve)) }

func serve(ctx context.Context, app *demo.App) error {
	h := app.Health
	f := fiber.New()
	// fiber runs handlers in registration order and /metrics does not call
	// Next: registered first, it is not drained, as a scrape is not a user
	// request. Fiber v3 takes the net/http handler as it is.
	f.Get(demo.MetricsPath, app.Metrics)
	// Drain first, outermost: it counts in-flight requests, never probes,
	// and so also counts the panics recover turns into errors.
	f.Use(fiber3health.Drain(h), recover.New())
	fiber3health.Register(f, h) // /livez /readyz /startupz (+ /healthz /ready)
	f.Get("/orders/:id", func(c fiber.Ctx) error {
		code, body := app.Order(c.Context(), c.Params("id"))
		return c.Status(code).JSON(body)
	})
	f.Get("/slow", func(c fiber.Ctx) error {
		// c.Context is the request's own context (fiber v2's UserContext):
		// the server's shutdown does not end it, so the drain can wait
		// for the request.
		code, body := demo.Slow(c.Context(), c.Query("ms"))
		return c.Status(code).JSON(body)
	})
	// Serve until SIGTERM, then: readiness 503, wait the propagation delay,
	// close the listener, wait for in-flight requests, run shutdown hooks.
	return fiber3health.Run(ctx, f, app.Config.Addr(), h)
}
