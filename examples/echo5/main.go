// Command echo5 is the probekit example service on echo v5: the probes,
// GET /orders/{id} from SQLite and GET /slow?ms=N, with a graceful drain on
// SIGTERM. Configure it with -port/PORT, -propagation-delay/PROPAGATION_DELAY
// and -drain-timeout/DRAIN_TIMEOUT (-h lists every setting). It is
// examples/echo moved to echo v5: the probekit calls only change their
// import.
package main

import (
	"context"
	"os"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/probekit/probekit/echo5health"
	"github.com/probekit/probekit/examples/internal/demo"
)

func main() { os.Exit(demo.Main("echo5", os.Args[1:], serve)) }

func serve(ctx context.Context, app *demo.App) error {
	h := app.Health
	e := echo.New()
	// Drain first, outermost: it counts in-flight requests, never probes.
	// /metrics skips it: a scrape is not a user request.
	drain := echo5health.Drain(h)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		drained := drain(next)
		return func(c *echo.Context) error {
			if c.Path() == demo.MetricsPath {
				return next(c)
			}
			return drained(c)
		}
	}, middleware.Recover())
	e.GET(demo.MetricsPath, echo.WrapHandler(app.Metrics))
	echo5health.Register(e, h) // /livez /readyz /startupz (+ /healthz /ready)
	e.GET("/orders/:id", func(c *echo.Context) error {
		code, body := app.Order(c.Request().Context(), c.Param("id"))
		return c.JSON(code, body)
	})
	e.GET("/slow", func(c *echo.Context) error {
		code, body := demo.Slow(c.Request().Context(), c.QueryParam("ms"))
		return c.JSON(code, body)
	})
	// Serve until SIGTERM, then: readiness 503, wait the propagation delay,
	// close the listener, wait for in-flight requests, run shutdown hooks.
	return echo5health.Run(ctx, e, app.Config.Addr(), h)
}
