// Command chi is the probekit example service on chi, the one `make demo`
// runs: the probes, GET /orders/{id} from SQLite and GET /slow?ms=N, with a
// graceful drain on SIGTERM. Configure it with -port/PORT,
// -propagation-delay/PROPAGATION_DELAY and -drain-timeout/DRAIN_TIMEOUT
// (-h lists every setting).
package main

import (
	"context"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/examples/internal/demo"
)

func main() { os.Exit(demo.Main("chi", os.Args[1:], serve)) }

func serve(ctx context.Context, app *demo.App) error {
	h := app.Health
	r := chi.NewRouter()
	// chi wants every middleware before the first route.
	// Drain first, outermost: it counts in-flight requests, never probes,
	// and so also counts the 500 Recoverer writes for a panic.
	r.Use(chihealth.Drain(h), middleware.Recoverer)
	chihealth.Register(r, h) // /livez /readyz /startupz (+ /healthz /ready)
	r.Get("/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		code, body := app.Order(r.Context(), chi.URLParam(r, "id"))
		demo.WriteJSON(w, code, body)
	})
	r.Get("/slow", func(w http.ResponseWriter, r *http.Request) {
		code, body := demo.Slow(r.Context(), r.URL.Query().Get("ms"))
		demo.WriteJSON(w, code, body)
	})
	// Serve until SIGTERM, then: readiness 503, wait the propagation delay,
	// close the listener, wait for in-flight requests, run shutdown hooks.
	// /metrics outside the router and its drain: a scrape is not a user request.
	return chihealth.Run(ctx, app.WithMetrics(r), app.Config.Addr(), h)
}
