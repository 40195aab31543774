package fiber3health

import (
	"sync/atomic"

	"github.com/gofiber/fiber/v3"
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
//	app.Use(fiber3health.Drain(h), recover.New())
//
// Inside recover, Drain would release the count while the panic unwinds,
// before recover turns it into an error. Fiber's ErrorHandler runs after the
// whole chain has returned, and fasthttp writes every response after the
// handler returned; the graceful stop (app.ShutdownWithContext) waits for
// those writes.
//
// A streamed response outlives the handler: fasthttp writes a body stream
// (c.SendStreamWriter, as server-sent events use, c.SendStream, c.SendFile
// of a large file) after the chain has returned, and a stream writer runs in
// a goroutine of its own meanwhile. Such a request stays counted until
// fasthttp has finished with it: the whole stream written and closed, or the
// write failed because the client went away or the connection broke. So a
// stream still open at the drain timeout is reported as abandoned, like any
// other request. A stream writer that ignores the error of w.Flush after its
// client went away is no longer counted while it runs on; return when Flush
// fails.
//
// Not counted: what runs after c.RequestCtx().Hijack, whose handler
// fasthttp calls in another goroutine once the request handler has returned
// and the connection left the server (the graceful stop does not wait for
// it either), unless the response sent before it was a body stream, which
// keeps the request counted until the hijack handler returns; a handler
// that fiber's timeout middleware gave up on (it abandons the context and
// returns, so Drain, outside it, stops counting while the handler runs on);
// and goroutines a handler starts itself. Give those their own shutdown
// hook (see [core.Registry.OnShutdown]).
//
// It costs two atomic operations and no allocation per request, a streamed
// response included.
//
// A handler behind Drain that shuts the service down calls
// h.StartShutdown, not h.Shutdown, which would wait for its own request.
func Drain(h *core.Registry) fiber.Handler {
	in := h.InFlight()
	var key any = streamKey{in}
	return func(c fiber.Ctx) error {
		if h.IsProbePath(c.Path()) {
			return c.Next()
		}
		in.Enter()
		handedOver := false
		defer func() {
			if !handedOver {
				in.Leave()
			}
		}()
		if h.Draining() {
			c.RequestCtx().SetConnectionClose()
		}
		err := c.Next()
		if c.RequestCtx().Response.IsBodyStream() {
			holdUntilReset(c, key, in)
			handedOver = true
		}
		return err
	}
}

// streamKey is the user value key under which a request's stream hold is
// kept: one per in-flight counter, so that two registries' Drain on the
// same app keep separate holds.
type streamKey struct{ in *core.InFlight }

// holdUntilReset hands the request's count over to a user value of the
// fasthttp request context. fasthttp closes the user values that are
// io.Closers when it resets the context: after writing the response (and
// with it the body stream, to the end or to the first write error), or
// when it gives up on the connection. It cannot replace the body stream
// with a counting wrapper instead, because every fasthttp setter closes the
// stream it replaces.
//
// The value is a streamRelease, which a user value holds without an
// allocation; Drain installed twice on a route, the rare case, makes it a
// streamHold, which counts.
func holdUntilReset(c fiber.Ctx, key any, in *core.InFlight) {
	fctx := c.RequestCtx()
	switch held := fctx.UserValue(key).(type) {
	case streamRelease:
		// Drain installed twice on this route: one hold, two counts.
		hold := &streamHold{in: in}
		hold.n.Store(2)
		fctx.SetUserValue(key, hold) // replaces held, which is not closed
	case *streamHold:
		held.n.Add(1)
	default:
		fctx.SetUserValue(key, streamRelease{in})
	}
}

// streamRelease and streamHold are fiberhealth's, copied on purpose, as
// header.go is: the two adapters build against different fasthttp versions
// and share no package, and a module of its own for these few lines would
// pin one fasthttp for both fibers. Change one, change the other.

// streamRelease releases the count of one streamed request when fasthttp
// closes it. A struct of one pointer, it is stored in an interface without
// an allocation. fasthttp closes a user value once: its reset closes each
// value it holds and forgets them all.
type streamRelease struct{ in *core.InFlight }

// Close leaves the in-flight counter.
func (s streamRelease) Close() error {
	s.in.Leave()
	return nil
}

// streamHold releases the counts of one streamed request when fasthttp
// closes it.
type streamHold struct {
	in *core.InFlight
	n  atomic.Int32 // counts still held; Close takes them all, once
}

// Close leaves the in-flight counter for each count held, the first time it
// is called; later calls do nothing.
func (s *streamHold) Close() error {
	for n := s.n.Swap(0); n > 0; n-- {
		s.in.Leave()
	}
	return nil
}
