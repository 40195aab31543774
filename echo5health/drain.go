package echo5health

import (
	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
)

// Drain returns middleware that counts each request in h's in-flight counter
// while the rest of the chain runs (also when it panics), so that shutdown
// can wait for it, and that sets "Connection: close" while h is draining so
// keep-alive clients move to other pods. Probe requests are not counted (see
// [core.Registry.IsProbePath]): a probe must never hold shutdown up.
//
// Register it first, outermost, so that everything the other middleware
// does is counted too:
//
//	e.Use(echo5health.Drain(h), middleware.Recover())
//
// In echo v5, middleware.Recover returns a recovered panic as an error, and
// e.HTTPErrorHandler writes every returned error only after the whole chain
// has returned, outside any middleware; the server's graceful stop
// (http.Server.Shutdown) still waits for that response. A handler behind
// Drain that shuts the service down calls h.StartShutdown, not h.Shutdown,
// which would wait for its own request.
//
// A request is counted while the chain runs, and only then: a response
// streamed with http.NewResponseController(c.Response()).Flush holds the
// drain open until the handler returns, and a connection taken with
// http.NewResponseController(c.Response()).Hijack is counted only while the
// handler that took it still serves it. A connection handed to a goroutine,
// or any goroutine a handler starts, is neither counted nor waited for (the
// server's Shutdown does not track hijacked connections).
//
// It costs two atomic operations and no allocation per request: echo v5
// builds its middleware chains once, not per request.
func Drain(h *core.Registry) echo.MiddlewareFunc {
	in := h.InFlight()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if h.IsProbePath(core.RoutedPath(c.Request().URL)) {
				return next(c)
			}
			in.Enter()
			defer in.Leave()
			if h.Draining() {
				c.Response().Header()[echo.HeaderConnection] = hdrClose
			}
			return next(c)
		}
	}
}

// hdrClose is the shared value of the Connection header set while draining:
// assigning it saves Header.Set's allocation. net/http never modifies it.
var hdrClose = []string{"close"}
