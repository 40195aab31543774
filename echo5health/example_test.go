package echo5health_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/echo5health"
)

// The three calls: Drain, Register, Run. In main, ctx would be
// context.Background() and Run would return after SIGTERM; this example
// stops itself after 100ms.
func Example() {
	h, err := core.New(core.Options{
		Service:          "orders",
		PropagationDelay: 10 * time.Millisecond, // default 5s
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }})

	e := echo.New()
	e.Use(echo5health.Drain(h), middleware.Recover()) // Drain outermost: it counts what the other middleware does
	echo5health.Register(e, h)
	e.GET("/orders", func(c *echo.Context) error { return c.String(http.StatusOK, "[]") })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = echo5health.Run(ctx, e, "127.0.0.1:0", h)
	fmt.Println("Run:", err, h.State())
	// Output:
	// Run: <nil> stopped
}

// Register mounts the probes on a group as well: here under /internal,
// where ?verbose gives the Kubernetes apiserver's text form.
func ExampleRegister_group() {
	h, err := core.New(core.Options{Service: "orders"})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }})

	e := echo.New()
	echo5health.Register(e.Group("/internal"), h)

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/internal/readyz?verbose", nil))
	fmt.Print(rec.Code, "\n", rec.Body)
	// Output:
	// 200
	// [+]db ok
	// readyz check passed
}
