package ginhealth_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/ginhealth"
)

func Example() {
	h, err := core.New(core.Options{
		Service:          "orders",
		PropagationDelay: 10 * time.Millisecond, // keep the example short; the default is 5s
		Logger:           slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }})

	r := gin.New()
	r.Use(ginhealth.Drain(h), gin.Recovery()) // Drain first: it also counts the recovered 500
	ginhealth.Register(r, h)
	r.GET("/orders", func(c *gin.Context) { c.String(http.StatusOK, "[]\n") })

	// What the kubelet sees (here without a network):
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz?verbose", nil))
	fmt.Print(rec.Code, "\n", rec.Body)

	// In main, ctx is context.Background() and SIGTERM starts the shutdown.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = ginhealth.Run(ctx, r, "127.0.0.1:0", h)
	fmt.Println("shut down:", err)
	// Output:
	// 200
	// [+]db ok
	// readyz check passed
	// shut down: <nil>
}

// Probes on a group live under the group's path.
func ExampleRegister_group() {
	h, _ := core.New(core.Options{Service: "orders", Logger: slog.New(slog.DiscardHandler)})
	r := gin.New()
	r.Use(ginhealth.Drain(h))
	ginhealth.Register(r.Group("/internal"), h)

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/internal/livez?verbose", nil))
	fmt.Print(rec.Code, " ", rec.Body)
	fmt.Println("probe path known to Drain:", h.IsProbePath("/internal/readyz/db"))
	// Output:
	// 200 livez check passed
	// probe path known to Drain: true
}
