package chihealth_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
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

	r := chi.NewRouter()
	r.Use(chihealth.Drain(h), middleware.Recoverer) // Drain first: it also counts the recovered 500
	chihealth.Register(r, h)
	r.Get("/orders", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "[]") })

	// What the kubelet sees (here without a network):
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz?verbose", nil))
	fmt.Print(rec.Code, "\n", rec.Body)

	// In main, ctx is context.Background() and SIGTERM starts the shutdown.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = chihealth.Run(ctx, r, "127.0.0.1:0", h)
	fmt.Println("shut down:", err)
	// Output:
	// 200
	// [+]db ok
	// readyz check passed
	// shut down: <nil>
}

// Probes on a sub-router made by r.Route or r.Mount: name its mount path in
// Options.Prefix, or Drain counts the probes as in-flight requests.
func ExampleRegister_prefix() {
	h, _ := core.New(core.Options{Service: "orders", Logger: slog.New(slog.DiscardHandler)})
	r := chi.NewRouter()
	r.Use(chihealth.Drain(h))
	r.Route("/internal", func(r chi.Router) {
		chihealth.Register(r, h, chihealth.Options{Prefix: "/internal"})
	})

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/internal/livez?verbose", nil))
	fmt.Print(rec.Code, " ", rec.Body)
	fmt.Println("probe path known to Drain:", h.IsProbePath("/internal/readyz/db"))
	// Output:
	// 200 livez check passed
	// probe path known to Drain: true
}
