package ginhealth

import (
	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
)

// Drain returns the gin middleware that tracks in-flight requests for
// graceful shutdown: it counts each request in h.InFlight() until the rest
// of the chain returns (also when a handler panics), leaves the probe
// endpoints out (see [core.Registry.IsProbePath]) and sets
// "Connection: close" on responses while h is draining. No lock and no
// allocation per request.
//
// Use it first, outermost, so that everything the other middleware does is
// counted too, the 500 gin.Recovery writes for a panic included:
//
//	r.Use(ginhealth.Drain(h), gin.Recovery())
//
// Inside gin.Recovery, Drain would release the count while the panic
// unwinds, before Recovery writes its answer.
//
// A request is counted while the chain runs, and only then: a response
// streamed with c.Stream (or c.Writer.Flush) holds the drain open until the
// handler returns, and a connection taken with c.Writer.Hijack is counted
// only while the handler that took it still serves it. A connection handed
// to a goroutine, or any goroutine a handler starts, is neither counted nor
// waited for (the server's Shutdown does not track hijacked connections).
//
// A handler behind Drain that shuts the service down calls
// h.StartShutdown, not h.Shutdown, which would wait for its own request.
func Drain(h *core.Registry) gin.HandlerFunc {
	inFlight := h.InFlight()
	return func(c *gin.Context) {
		if h.IsProbePath(core.RoutedPath(c.Request.URL)) {
			c.Next()
			return
		}
		inFlight.Enter()
		defer inFlight.Leave()
		if h.Draining() {
			c.Writer.Header()["Connection"] = connectionClose
		}
		c.Next()
	}
}

// connectionClose is shared by every draining response; net/http never
// modifies header values.
var connectionClose = []string{"close"}
