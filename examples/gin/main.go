// Command gin is the probekit example service on gin: the probes,
// GET /orders/{id} from SQLite and GET /slow?ms=N, with a graceful drain on
// SIGTERM. Configure it with -port/PORT, -propagation-delay/PROPAGATION_DELAY
// and -drain-timeout/DRAIN_TIMEOUT (-h lists every setting).
package main

import (
	"context"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/probekit/probekit/examples/internal/demo"
	"github.com/probekit/probekit/ginhealth"
)

func main() { os.Exit(demo.Main("gin", os.Args[1:], serve)) }

func serve(ctx context.Context, app *demo.App) error {
	h := app.Health
	gin.SetMode(gin.ReleaseMode) // no route dump: the registry logs what matters
	r := gin.New()
	// gin applies middleware to the routes registered after it: /metrics,
	// registered first, is not drained, as a scrape is not a user request.
	r.GET(demo.MetricsPath, gin.WrapH(app.Metrics))
	// Drain first, outermost: it counts in-flight requests, never probes,
	// and so also counts the 500 Recovery writes for a panic.
	r.Use(ginhealth.Drain(h), gin.Recovery())
	ginhealth.Register(r, h) // /livez /readyz /startupz (+ /healthz /ready)
	r.GET("/orders/:id", func(c *gin.Context) {
		code, body := app.Order(c.Request.Context(), c.Param("id"))
		c.JSON(code, body)
	})
	r.GET("/slow", func(c *gin.Context) {
		code, body := demo.Slow(c.Request.Context(), c.Query("ms"))
		c.JSON(code, body)
	})
	// Serve until SIGTERM, then: readiness 503, wait the propagation delay,
	// close the listener, wait for in-flight requests, run shutdown hooks.
	return ginhealth.Run(ctx, r, app.Config.Addr(), h)
}
