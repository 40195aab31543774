package chihealth

import (
	"net/http"

	"github.com/probekit/probekit/core"
)

// Drain returns the chi middleware that tracks in-flight requests for
// graceful shutdown: it counts each request in h.InFlight() until the
// handler returns (also when it panics, so put it outside or inside a
// recoverer, either works), leaves the probe endpoints out (see
// [core.Registry.IsProbePath]) and sets "Connection: close" on responses
// while h is draining. It is core's [core.Registry.Drain]: no lock and no
// allocation per request.
func Drain(h *core.Registry) func(next http.Handler) http.Handler {
	return h.Drain
}
