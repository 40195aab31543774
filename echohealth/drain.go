package echohealth

import (
	"github.com/labstack/echo/v4"
	"github.com/probekit/probekit/core"
)

// Drain returns middleware that counts each request in h's in-flight counter
// while the rest of the chain runs (also when it panics), so that shutdown
// can wait for it, and that sets "Connection: close" while h is draining so
// keep-alive clients move to other pods. Probe requests are not counted (see
// [core.Registry.IsProbePath]): a probe must never hold shutdown up.
//
// Register it first, outermost, so that everything the other middleware
// does is counted too, middleware.Recover's 500 for a recovered panic
// included:
//
//	e.Use(echohealth.Drain(h), middleware.Recover())
//
// Inside Recover, Drain would release the count while the panic unwinds,
// before Recover writes the answer. An error a handler returns is written by
// e.HTTPErrorHandler only after the whole chain has returned, outside any
// middleware; the server's graceful stop (e.Shutdown) still waits for that
// response. A handler behind Drain that shuts the service down calls
// h.StartShutdown, not h.Shutdown, which would wait for its own request.
//
// A request is counted while the chain runs, and only then: a response
// streamed with c.Response().Flush holds the drain open until the handler
// returns, and a connection taken with c.Response().Hijack is counted only
// while the handler that took it still serves it. A connection handed to a
// goroutine, or any goroutine a handler starts, is neither counted nor
// waited for (the server's Shutdown does not track hijacked connections).
//
// Drain itself takes two atomic operations and allocates nothing; echo builds
// the chain of e.Use middleware per request, which costs each middleware one
// small allocation.
func Drain(h *core.Registry) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if h.IsProbePath(core.RoutedPath(c.Request().URL)) {
				return next(c)
			}
			// h.InFlight() rather than a captured counter keeps the closure
			// echo allocates per request one word smaller.
			in := h.InFlight()
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
