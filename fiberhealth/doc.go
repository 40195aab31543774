// Package fiberhealth serves probekit's health probes from a fiber app,
// counts its in-flight requests and shuts it down gracefully. It speaks
// fiber natively: no net/http adaptor sits on the request path.
//
// The happy path:
//
//	h, err := core.New(core.Options{Service: "orders", Version: version})
//	if err != nil { ... }
//	_ = h.Register(core.Check{Name: "postgres", Check: pingDB, Interval: 5 * time.Second})
//	_ = h.Start(ctx)
//	defer h.Close()
//
//	app := fiber.New(fiber.Config{DisableStartupMessage: true})
//	app.Use(fiberhealth.Drain(h), recover.New()) // Drain outermost: in-flight tracking, Connection: close while draining
//	fiberhealth.Register(app, h)             // /livez /readyz /startupz /healthz /ready (+ /{probe}/:check)
//	err = fiberhealth.Run(ctx, app, ":8080", h) // SIGTERM: not ready, wait, drain, ShutdownWithContext, hooks
//
// Register also takes a group, such as app.Group("/internal"); the probes
// are then served under its prefix. Status, headers and body of every probe
// are the ones core's net/http handler gives, because both write what
// [core.Registry.Probe] returns; only what fasthttp adds on its own differs
// (it sends Content-Length: 0 with a HEAD answer, say).
//
// Drain keeps a request whose body is a stream (SetBodyStreamWriter for
// server-sent events, SendStream) counted until fasthttp has written its
// last byte or the client went away, so the stream holds the drain open,
// and one still open at the drain timeout is reported as abandoned. A
// connection taken over with c.Context().Hijack is not counted; see [Drain].
//
// Run and Serve return an error at once for a nil app or registry.
// DisableStartupMessage is the caller's choice: Run does not change the app's
// configuration, but the registry already logs each lifecycle step once with
// log/slog.
package fiberhealth
