package fiber3health_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/fiber3health"
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

	app := fiber.New()
	// fasthttp's idle worker cleaner sleeps this long (10s by default)
	// between rounds and so outlives Run by up to that much; this example
	// is also a test that checks for leaked goroutines.
	app.Server().MaxIdleWorkerDuration = 50 * time.Millisecond
	app.Use(fiber3health.Drain(h), recover.New()) // Drain outermost
	fiber3health.Register(app, h)
	app.Get("/orders", func(c fiber.Ctx) error { return c.SendString("[]") })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = fiber3health.Run(ctx, app, "127.0.0.1:0", h)
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

	app := fiber.New()
	fiber3health.Register(app.Group("/internal"), h)

	resp, err := app.Test(httptest.NewRequest(http.MethodGet, "/internal/readyz?verbose", nil))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode, "\n", string(body))
	// Output:
	// 200
	// [+]db ok
	// readyz check passed
}
