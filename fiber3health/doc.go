// Package fiber3health serves probekit's health probes from a fiber v3 app
// (github.com/gofiber/fiber/v3), counts its in-flight requests and shuts it
// down gracefully. It speaks fiber natively: handlers take the fiber.Ctx
// interface and no net/http adaptor sits on the request path. For fiber v2,
// use fiberhealth: the calls are the same.
//
// The happy path:
//
//	h, err := core.New(core.Options{Service: "orders", Version: version})
//	if err != nil { ... }
//	_ = h.Register(core.Check{Name: "postgres", Check: pingDB, Interval: 5 * time.Second})
//	_ = h.Start(ctx)
//	defer h.Close()
//
//	app := fiber.New()
//	app.Use(fiber3health.Drain(h), recover.New()) // Drain outermost: in-flight tracking, Connection: close while draining
//	fiber3health.Register(app, h)             // /livez /readyz /startupz /healthz /ready (+ /{probe}/:check)
//	err = fiber3health.Run(ctx, app, ":8080", h) // SIGTERM: not ready, wait, drain, ShutdownWithContext, hooks
//
// Register also takes a group, such as app.Group("/internal"); the probes
// are then served under its prefix. Status, headers and body of every probe
// are the ones core's net/http handler gives, because both write what
// [core.Registry.Probe] returns; only what fasthttp adds on its own differs
// (it sends Content-Length: 0 with a HEAD answer, say).
//
// Drain keeps a request whose body is a stream (c.SendStreamWriter for
// server-sent events, c.SendStream) counted until fasthttp has written its
// last byte or the client went away, so the stream holds the drain open,
// and one still open at the drain timeout is reported as abandoned. A
// connection taken over with c.RequestCtx().Hijack is not counted; see
// [Drain].
//
// Run and Serve return an error at once for a nil app or registry. They
// serve with a fiber.ListenConfig of their own, without the start-up
// message: the registry already logs each lifecycle step once with
// log/slog.
//
// # Fiber's healthcheck middleware
//
// Fiber v3 ships github.com/gofiber/fiber/v3/middleware/healthcheck, a
// handler users mount on /livez, /readyz and /startupz that answers 200 or
// 503 from a func(fiber.Ctx) bool. Register serves the same three paths
// (and the aliases /healthz and /ready), so mount one or the other: fiber
// runs the first route that matches. What Register adds:
//
//   - named checks with reasons: /readyz/{check} probes one, ?verbose lists
//     each with its result in the Kubernetes apiserver's text form, and the
//     JSON and application/health+json bodies carry the failure reasons
//     (secrets scrubbed);
//   - degraded: a non-critical check that fails leaves the service ready
//     and says so;
//   - a timeout per check, background checks served from a cache, and
//     panics, hangs and typed-nil errors in user code contained;
//   - the lifecycle: startupz fails until the start-up checks passed,
//     readyz fails as soon as shutdown begins, before the listener closes;
//   - zero-downtime draining: Drain counts requests (streams included) and
//     Run waits for them before the shutdown hooks run;
//   - core's answer to every method: 405 with an Allow header for a POST
//     rather than passing it on with c.Next().
//
// # Dependencies
//
// github.com/gofiber/fiber/v3 is the framework served; its
// github.com/valyala/fasthttp is imported for the request context fiber
// exposes (stream holds, pre-normalised response header names) and
// github.com/gofiber/utils/v2 for fiber's own copy-free conversions between
// strings and fasthttp's byte slices. go.uber.org/goleak is a test-only
// dependency.
package fiber3health
