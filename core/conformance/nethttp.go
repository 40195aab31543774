package conformance

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/probekit/probekit/core"
)

// NetHTTP is a ServeFunc for core's own net/http integration: h.Handler()
// on an http.ServeMux (under http.StripPrefix for a prefix), h.Drain around
// everything and h.Serve as the runner. net/http's recovery is the server's
// own: a panicking handler's connection is closed. Run(t, NetHTTP) checks core
// itself; it is also a model for an adapter's ServeFunc.
func NetHTTP(ctx context.Context, h *core.Registry, ln net.Listener, cfg Config) error {
	mux := http.NewServeMux()
	if cfg.Prefix == "" {
		mux.Handle("/", h.Handler())
	} else {
		mux.Handle(cfg.Prefix+"/", h.HandlerAt(cfg.Prefix))
	}
	mux.HandleFunc("GET /app/", func(w http.ResponseWriter, r *http.Request) {
		code, body := cfg.App(r.URL.Path, r.URL.RawQuery)
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	})
	mux.HandleFunc("GET /stream/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		cfg.Stream(r.URL.Path, func(chunk string) error {
			if _, err := io.WriteString(w, chunk); err != nil {
				return err
			}
			w.(http.Flusher).Flush()
			return r.Context().Err() // the client hung up
		})
	})
	srv := &http.Server{
		Handler:           h.Drain(mux),
		ReadHeaderTimeout: 5 * time.Second,
		// The suite's deliberate panics would otherwise be logged.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	return h.Serve(ctx, srv, ln)
}
