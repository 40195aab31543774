// Package echo5health serves probekit's health probes from an echo v5
// instance (github.com/labstack/echo/v5), counts its in-flight requests and
// shuts it down gracefully. For echo v4, use echohealth: the calls are the
// same.
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
//	e.Use(echo5health.Drain(h), middleware.Recover()) // Drain outermost: in-flight tracking, Connection: close while draining
//	echo5health.Register(e, h)            // /livez /readyz /startupz /healthz /ready (+ /{probe}/:check)
//	err = echo5health.Run(ctx, e, ":8080", h) // SIGTERM: not ready, wait, drain, http.Server.Shutdown, hooks
//
// Register also takes an *echo.Group, such as e.Group("/internal"); the
// probes are then served under its prefix. Every probe response is the one
// core's net/http handler would give, byte for byte, because both write what
// [core.Registry.Probe] returns.
//
// Echo v5 passes handlers a *echo.Context and has no server of its own:
// Run and Serve start one with an echo.StartConfig, as echo's own Start
// does, without echo's banner and port line (the registry logs each
// lifecycle step once with log/slog) and with [ReadHeaderTimeout] (10s), as
// chihealth and ginhealth do, so that slow clients cannot hold connections
// open. A nil echo or registry is an error returned at once.
//
// # Dependencies
//
// github.com/labstack/echo/v5 is the framework served, and the only direct
// dependency; golang.org/x/time, the one other module go.mod lists, comes
// with echo (its rate limiter middleware). go.uber.org/goleak is a
// test-only dependency.
package echo5health
