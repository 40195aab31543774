package fiberhealth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"github.com/probekit/probekit/core"
)

// Run listens on addr (on the app's Config.Network, "tcp4" by default) and
// serves app until SIGTERM, SIGINT, the end of ctx or a shutdown started
// elsewhere (h.StartShutdown from a preStop handler, say), then runs or
// follows h's shutdown sequence with app.ShutdownWithContext as the graceful
// stop: readiness fails at once, the propagation delay passes while app
// still serves, the listener closes, in-flight requests drain, shutdown
// hooks run. See [core.Registry.Run] for the error: nil after a clean
// shutdown.
//
// Fiber prints its start-up banner unless the app was created with
// fiber.Config{DisableStartupMessage: true}; with probekit the registry logs
// the lifecycle with log/slog, so you will usually want to set it. Prefork is
// not supported (fiber does not prefork on a given listener): an app with
// Config.Prefork is an error, as is a nil app or h, returned before
// listening.
func Run(ctx context.Context, app *fiber.App, addr string, h *core.Registry) error {
	if err := validate(app, h); err != nil {
		return err
	}
	ln, err := net.Listen(app.Config().Network, addr)
	if err != nil {
		// A listen error (address in use) is a serve failure like any
		// other: through h.Run, the shutdown hooks run before it is returned.
		err = fmt.Errorf("fiberhealth: listen: %w", err)
		return h.Run(ctx, func() error { return err }, func(context.Context) error { return nil })
	}
	return Serve(ctx, app, ln, h)
}

// Serve is Run on a listener the caller opened: port 0 in tests, a
// tls.NewListener for TLS, a socket handed over by systemd. It closes ln,
// also when app or h is nil, which is an error.
//
// fasthttp takes a listener that fails (closed by someone else, say) for a
// normal stop and returns nil; Serve returns an error wrapping net.ErrClosed
// instead when serving ends before the shutdown sequence began, as it
// also does when app.Shutdown is called directly instead of ctx being
// cancelled. One app may be served on several listeners (IPv4 and IPv6,
// say) by one Serve each on the same registry: they share fasthttp's
// server, which the first graceful stop stops for all of them, and each
// returns nil.
//
// One fasthttp goroutine, the worker pool's cleaner, outlives Serve by up to
// app.Server().MaxIdleWorkerDuration (10s by default) before it notices the
// stop and exits.
func Serve(ctx context.Context, app *fiber.App, ln net.Listener, h *core.Registry) error {
	if err := validate(app, h); err != nil {
		_ = ln.Close()
		return err
	}
	var stopping atomic.Bool
	serve := func() error {
		err := app.Listener(ln)
		// Once h is draining, the shutdown under way stops the server: by
		// this Serve's stop, or, for an app served on several listeners
		// (one fasthttp server), by another Serve's, which may come first.
		if err == nil && !stopping.Load() && !h.Draining() {
			return fmt.Errorf("fiberhealth: serving ended before shutdown: %w", net.ErrClosed)
		}
		return err
	}
	stop := func(ctx context.Context) error {
		stopping.Store(true)
		err := app.ShutdownWithContext(ctx)
		// fasthttp only closes the listeners its Serve has registered: if
		// shutdown comes before app.Listener got that far, closing ln here
		// is what makes it return.
		if cerr := ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = errors.Join(err, cerr)
		}
		return err
	}
	return h.Run(ctx, serve, stop)
}

// validate rejects what would otherwise serve normally and then fail with a
// nil dereference at shutdown, or serve otherwise than configured.
func validate(app *fiber.App, h *core.Registry) error {
	switch {
	case app == nil:
		return errors.New("fiberhealth: app is nil")
	case h == nil:
		return errors.New("fiberhealth: registry is nil")
	case app.Config().Prefork:
		// fiber would only log a warning and serve one process.
		return errors.New("fiberhealth: Prefork is not supported: fiber does not prefork on a listener it is given; run one process per core instead")
	}
	return nil
}
