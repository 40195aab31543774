package chihealth_test

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
)

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

// BenchmarkRoute compares a business route with and without Drain: the
// difference is Drain's cost per request (target: <= 30 ns, 0 allocs).
func BenchmarkRoute(b *testing.B) {
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	bare := chi.NewRouter()
	bare.Get("/app/orders", ok)
	drained := chi.NewRouter()
	drained.Use(chihealth.Drain(h))
	drained.Get("/app/orders", ok)

	for _, bc := range []struct {
		name string
		r    http.Handler
	}{{"bare", bare}, {"drain", drained}} {
		b.Run(bc.name, func(b *testing.B) {
			conformance.BenchHandler(b, bc.r, "/app/orders", http.StatusOK)
		})
	}
}

// BenchmarkDrain isolates the middleware from the router: a handler that
// does nothing, called directly, with and without Drain around it.
func BenchmarkDrain(b *testing.B) {
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		next http.Handler
	}{{"none", http.HandlerFunc(ok)}, {"drain", chihealth.Drain(h)(http.HandlerFunc(ok))}} {
		b.Run(bc.name, func(b *testing.B) {
			conformance.BenchHandler(b, bc.next, "/app/orders", http.StatusOK)
		})
	}
}

// BenchmarkReadyz probes /readyz through the router with 5 background
// checks: the pre-rendered fast path.
func BenchmarkReadyz(b *testing.B) {
	h := conformance.BenchRegistry(b)
	r := chi.NewRouter()
	r.Use(chihealth.Drain(h))
	chihealth.Register(r, h)
	conformance.BenchHandler(b, r, "/readyz", http.StatusOK)
}
