package fiberhealth

import (
	"github.com/gofiber/fiber/v2"
	"github.com/probekit/probekit/core"
)

// Drain returns middleware that counts each request in h's in-flight counter
// while the rest of the chain runs (also when it panics), so that shutdown
// can wait for it, and that sets "Connection: close" while h is draining so
// keep-alive clients move to other pods. Probe requests are not counted (see
// [core.Registry.IsProbePath]): a probe must never hold shutdown up.
//
// Register it first, outermost, so that everything the other middleware
// does is counted too, the recover middleware's handling of a panic
// included:
//
//	app.Use(fiberhealth.Drain(h), recover.New())
//
// Inside recover, Drain would release the count while the panic unwinds,
// before recover turns it into an error. Fiber's ErrorHandler runs after the
// whole chain has returned, and fasthttp writes every response after the
// handler returned; the graceful stop (app.ShutdownWithContext) waits for
// those writes.
//
// It costs two atomic operations and no allocation per request.
func Drain(h *core.Registry) fiber.Handler {
	in := h.InFlight()
	return func(c *fiber.Ctx) error {
		if h.IsProbePath(c.Path()) {
			return c.Next()
		}
		in.Enter()
		defer in.Leave()
		if h.Draining() {
			c.Context().SetConnectionClose()
		}
		return c.Next()
	}
}
