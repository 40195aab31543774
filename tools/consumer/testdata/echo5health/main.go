// A consumer of echo5health alone: the probes on an echo v5 instance.
package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/echo5health"
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
	e := echo.New()
	e.Use(echo5health.Drain(h))
	echo5health.Register(e, h)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz?verbose", nil))
	fmt.Printf("%d\n%s", rec.Code, rec.Body)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
