// A consumer of echohealth alone: the probes on an echo server.
package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/labstack/echo/v4"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/echohealth"
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
	e.Use(echohealth.Drain(h))
	echohealth.Register(e, h)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz?verbose", nil))
	fmt.Printf("%d\n%s", rec.Code, rec.Body)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
