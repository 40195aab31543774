// Command nethttp is the probekit example service on plain net/http: the
// probes, GET /orders/{id} from SQLite and GET /slow?ms=N, with a graceful
// drain on SIGTERM. Configure it with -port/PORT,
// -propagation-delay/PROPAGATION_DELAY and -drain-timeout/DRAIN_TIMEOUT
// (-h lists every setting).
package main

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/probekit/probekit/examples/internal/demo"
)

func main() { os.Exit(demo.Main("nethttp", os.Args[1:], serve)) }

func serve(ctx context.Context, app *demo.App) error {
	h := app.Health
	mux := http.NewServeMux()
	mux.Handle("/", h.Handler()) // /livez /readyz /startupz (+ /healthz /ready), 404 else
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		code, body := app.Order(r.Context(), r.PathValue("id"))
		demo.WriteJSON(w, code, body)
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		code, body := demo.Slow(r.Context(), r.URL.Query().Get("ms"))
		demo.WriteJSON(w, code, body)
	})
	srv := &http.Server{
		Addr: app.Config.Addr(),
		// Drain counts in-flight requests, never probes; /metrics is served
		// outside it, as a scrape is not a user request.
		Handler:           app.WithMetrics(h.Drain(mux)),
		ReadHeaderTimeout: 5 * time.Second,
	}
	// Serve until SIGTERM, then: readiness 503, wait the propagation delay,
	// close the listener, wait for in-flight requests, run shutdown hooks.
	return h.ListenAndServe(ctx, srv)
}
