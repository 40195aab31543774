package chihealth

import (
	"net/http"

	"github.com/probekit/probekit/core"
)

// Drain returns the chi middleware that tracks in-flight requests for
// graceful shutdown: it counts each request in h.InFlight() until the
// handler returns (also when it panics), leaves the probe endpoints out (see
// [core.Registry.IsProbePath]) and sets "Connection: close" on responses
// while h is draining. It is core's [core.Registry.Drain]: no lock and no
// allocation per request.
//
// Use it first, outermost, so that everything the other middleware does is
// counted too, the 500 a recoverer writes for a panic included:
//
//	r.Use(chihealth.Drain(h), middleware.Recoverer)
//
// Inside the recoverer, Drain would release the count while the panic
// unwinds, before the recoverer writes its answer. Probes registered on a
// sub-router need [Options].Prefix, or Drain counts them (see [Register]).
//
// What is counted is what [core.Registry.Drain] counts: a request while its
// handler runs, a response streamed through http.Flusher included, and a
// hijacked connection only while the handler that hijacked it still serves
// it. A connection handed to a goroutine, or any goroutine a handler
// starts, is neither counted nor waited for.
//
// A handler behind Drain that shuts the service down calls h.StartShutdown,
// not h.Shutdown, which would wait for its own request.
func Drain(h *core.Registry) func(next http.Handler) http.Handler {
	return h.Drain
}
