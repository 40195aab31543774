// A consumer of breaker alone: a breaker's state as a readiness check.
package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/core"
)

func main() {
	h, err := core.New(core.Options{Service: "consumer"})
	if err != nil {
		fail(err)
	}
	b, err := breaker.New("consumer", breaker.Settings{Notify: h.Notify})
	if err != nil {
		fail(err)
	}
	n, err := breaker.Call(context.Background(), b, func(context.Context) (int, error) { return 1, nil })
	if err != nil || n != 1 {
		fail(fmt.Errorf("breaker.Call = %d, %v", n, err))
	}
	if err := h.Register(core.Check{Name: "consumer", Check: b.Check()}); err != nil {
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
