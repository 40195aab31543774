// A consumer of core alone: a check from core/checks, one from
// core/healthtest, the conformance suite compiled in, a probe through
// core's own handler.
package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
	_ "github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/core/healthtest"
)

func main() {
	h, err := core.New(core.Options{Service: "consumer"})
	if err != nil {
		fail(err)
	}
	goroutines, err := checks.Goroutines(100000, checks.LimitOptions{})
	if err != nil {
		fail(err)
	}
	if err := h.Register(core.Check{Name: "consumer", Check: goroutines}); err != nil {
		fail(err)
	}
	if err := h.Register(core.Check{Name: "fake", Check: healthtest.NewFake().Check}); err != nil {
		fail(err)
	}
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
