// Command echo is the probekit example service on echo: the probes,
// GET /orders/{id} from SQLite and GET /slow?ms=N, with a graceful drain on
// SIGTERM. Configure it with -port/PORT, -propagation-delay/PROPAGATION_DELAY
// and -drain-timeout/DRAIN_TIMEOUT (-h lists every setting).
package main

import (
	"context"
	"os"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/probekit/probekit/echohealth"
	"github.com/probekit/probekit/examples/internal/demo"
)

func main() { os.Exit(demo.Main("echo", os.Args[1:], serve)) }

func serve(ctx context.Context, app *demo.App) error {
	h := app.Health
	e := echo.New()
	// Drain first, outermost: it counts in-flight requests, never probes,
	// and so also counts the 500 Recover writes for a panic.
	// /metrics skips it: a scrape is not a user request.
	drain := echohealth.Drain(h)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		drained := drain(next)
		return func(c echo.Context) error {
			if c.Path() == demo.MetricsPath {
				return next(c)
			}
			return drained(c)
		}
	}, middleware.Recover())
	e.GET(demo.MetricsPath, echo.WrapHandler(app.Metrics))
	echohealth.Register(e, h) // /livez /readyz /startupz (+ /healthz /ready)
	e.GET("/orders/:id", func(c echo.Context) error {
		code, body := app.Order(c.Request().Context(), c.Param("id"))
		return c.JSON(code, body)
	})
	e.GET("/slow", func(c echo.Context) error {
		code, body := demo.Slow(c.Request().Context(), c.QueryParam("ms"))
		return c.JSON(code, body)
	})
	// Serve until SIGTERM, then: readiness 503, wait the propagation delay,
	// close the listener, wait for in-flight requests, run shutdown hooks.
	return echohealth.Run(ctx, e, app.Config.Addr(), h)
}
