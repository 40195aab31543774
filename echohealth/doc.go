// Package echohealth serves probekit's health probes from an echo server,
// counts its in-flight requests and shuts it down gracefully.
//
// The happy path:
//
//	h, err := core.New(core.Options{Service: "orders", Version: version})
//	if err != nil { ... }
//	_ = h.Register(core.Check{Name: "postgres", Check: pingDB, Interval: 5 * time.Second})
//	_ = h.Start(ctx)
//	defer h.Close()
//
//	e := echo.New()
//	e.Use(echohealth.Drain(h), middleware.Recover()) // Drain outermost: in-flight tracking, Connection: close while draining
//	echohealth.Register(e, h)            // /livez /readyz /startupz /healthz /ready (+ /{probe}/:check)
//	err = echohealth.Run(ctx, e, ":8080", h) // SIGTERM: not ready, wait, drain, e.Shutdown, hooks
//
// Register also takes an *echo.Group, such as e.Group("/internal"); the
// probes are then served under its prefix. Every probe response is the one
// core's net/http handler would give, byte for byte, because both write what
// [core.Registry.Probe] returns.
//
// Run and Serve set e.HideBanner and e.HidePort: the registry logs each
// lifecycle step once with log/slog, and echo's banner would only repeat it.
// They also set e.Server.ReadHeaderTimeout to [ReadHeaderTimeout] (10s)
// unless it is already set, as chihealth and ginhealth do, so that slow
// clients cannot hold connections open. A nil echo or registry is an error
// returned at once.
package echohealth
