// A consumer of otelhealth alone: the registry reported through the global
// OpenTelemetry providers (no SDK installed, so every call is a no-op).
package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/otelhealth"
)

func main() {
	h, err := core.New(core.Options{Service: "consumer"})
	if err != nil {
		fail(err)
	}
	if err := h.Register(core.Check{Name: "consumer", Check: func(context.Context) error { return nil }}); err != nil {
		fail(err)
	}
	tel, err := otelhealth.New(h, otelhealth.Options{})
	if err != nil {
		fail(err)
	}
	defer tel.Close()
	if err := h.Start(context.Background()); err != nil {
		fail(err)
	}
	defer h.Close()
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz?verbose", nil))
	fmt.Printf("%d\n%s", rec.Code, rec.Body)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
