package ginhealth_test

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/ginhealth"
)

func ok(c *gin.Context) { c.Status(http.StatusOK) }

// BenchmarkRoute compares a business route with and without Drain: the
// difference is Drain's cost per request (target: <= 30 ns, 0 allocs).
func BenchmarkRoute(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	bare := gin.New()
	bare.GET("/app/orders", ok)
	drained := gin.New()
	drained.Use(ginhealth.Drain(h))
	drained.GET("/app/orders", ok)

	for _, bc := range []struct {
		name string
		r    http.Handler
	}{{"bare", bare}, {"drain", drained}} {
		b.Run(bc.name, func(b *testing.B) {
			conformance.BenchHandler(b, bc.r, "/app/orders", http.StatusOK)
		})
	}
}

// BenchmarkReadyz probes /readyz through the engine with 5 background
// checks: the pre-rendered fast path.
func BenchmarkReadyz(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	h := conformance.BenchRegistry(b)
	r := gin.New()
	r.Use(ginhealth.Drain(h))
	ginhealth.Register(r, h)
	conformance.BenchHandler(b, r, "/readyz", http.StatusOK)
}
