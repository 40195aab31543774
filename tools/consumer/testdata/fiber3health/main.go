// A consumer of fiber3health alone (fiber v3): the probes on a fiber app, asked through
// fiber's in-memory connection.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"

	"github.com/gofiber/fiber/v3"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/fiber3health"
)

func main() {
	h, err := core.New(core.Options{Service: "consumer"})
	if err != nil {
		fail(err)
	}
	if err := h.Register(core.Check{Name: "consumer", Check: func(context.Context) error { return nil }}); err != nil {
		fail(err)
	}
	if err := h.Start(context.Background()); err != nil {
		fail(err)
	}
	defer h.Close()
	app := fiber.New()
	app.Use(fiber3health.Drain(h))
	fiber3health.Register(app, h)
	resp, err := app.Test(httptest.NewRequest("GET", "/readyz?verbose", nil), fiber.TestConfig{})
	if err != nil {
		fail(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fail(err)
	}
	fmt.Printf("%d\n%s", resp.StatusCode, body)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
