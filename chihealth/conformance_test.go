package chihealth_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
)

// TestConformance runs probekit's shared adapter suite against chihealth.
func TestConformance(t *testing.T) {
	t.Parallel()
	conformance.Run(t, serve)
}

// serve is the suite's ServeFunc: a chi router as a service would build it.
func serve(ctx context.Context, h *core.Registry, ln net.Listener, cfg conformance.Config) error {
	r := chi.NewRouter()
	r.Use(chihealth.Drain(h), recoverer)
	if cfg.Prefix == "" {
		chihealth.Register(r, h)
	} else {
		r.Route(cfg.Prefix, func(r chi.Router) {
			chihealth.Register(r, h, chihealth.Options{Prefix: cfg.Prefix})
		})
	}
	r.Get("/app/*", func(w http.ResponseWriter, req *http.Request) {
		code, body := cfg.App(req.URL.Path, req.URL.RawQuery)
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	})
	r.Get("/stream/*", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		cfg.Stream(req.URL.Path, func(chunk string) error {
			if _, err := io.WriteString(w, chunk); err != nil {
				return err
			}
			w.(http.Flusher).Flush()
			return req.Context().Err() // the client hung up
		})
	})
	return chihealth.Serve(ctx, r, ln, h)
}

// recoverer is chi's Recoverer, with the stack traces of the suite's
// deliberate panics kept out of the test output.
func recoverer(next http.Handler) http.Handler {
	return middleware.RequestLogger(quietFormatter{})(middleware.Recoverer(next))
}

type quietFormatter struct{}

func (quietFormatter) NewLogEntry(*http.Request) middleware.LogEntry { return quietEntry{} }

type quietEntry struct{}

func (quietEntry) Write(int, int, http.Header, time.Duration, any) {}
func (quietEntry) Panic(any, []byte)                               {}
