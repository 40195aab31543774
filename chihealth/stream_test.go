package chihealth_test

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
)

// Streamed (flushed) responses are covered by the conformance suite. What
// follows is the part net/http does not do for Drain: a hijacked
// connection.

// TestDrainHijack checks what Drain documents for hijacked connections
// (conformance.Hijack).
func TestDrainHijack(t *testing.T) {
	t.Parallel()
	conformance.Hijack(t, serveHijack)
}

// serveHijack is the HijackServeFunc: a chi router behind Drain, through
// Serve, whose handler hijacks with http.Hijacker.
func serveHijack(ctx context.Context, h *core.Registry, ln net.Listener, hijacked func(net.Conn)) error {
	r := chi.NewRouter()
	r.Use(chihealth.Drain(h))
	r.Get("/app/hijack", func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		hijacked(conn)
	})
	return chihealth.Serve(ctx, r, ln, h)
}
