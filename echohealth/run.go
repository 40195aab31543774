package echohealth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/probekit/probekit/core"
)

// ReadHeaderTimeout is the e.Server.ReadHeaderTimeout that Run and Serve set
// when e.Server has none: a client that does not send its request headers
// within it is disconnected, so slow clients cannot hold connections open.
const ReadHeaderTimeout = 10 * time.Second

// Run listens on addr (e.ListenerNetwork, default "tcp") and serves e until
// SIGTERM, SIGINT, the end of ctx or a shutdown started elsewhere
// (h.StartShutdown from a preStop handler, say), then runs or follows h's
// shutdown sequence with e.Shutdown as the graceful stop: readiness fails at
// once, the propagation delay passes while e still serves, the listener
// closes, in-flight requests drain, shutdown hooks run. See
// [core.Registry.Run] for the error: nil after a clean shutdown. A nil e or
// h is an error, returned before listening.
//
// Run hides echo's start-up banner and port line (e.HideBanner, e.HidePort):
// the registry logs the lifecycle with log/slog instead. It sets
// e.Server.ReadHeaderTimeout to [ReadHeaderTimeout] unless it is already set.
func Run(ctx context.Context, e *echo.Echo, addr string, h *core.Registry) error {
	if err := validate(e, h); err != nil {
		return err
	}
	network := e.ListenerNetwork
	if network == "" {
		network = "tcp"
	}
	// Listening inside h.Run makes a listen error (address in use) a serve
	// failure like any other: the shutdown hooks run before it is returned.
	return h.Run(ctx, func() error {
		ln, err := net.Listen(network, addr)
		if err != nil {
			return fmt.Errorf("echohealth: listen: %w", err)
		}
		return start(e, ln)
	}, e.Shutdown)
}

// Serve is Run on a listener the caller opened: port 0 in tests, a
// tls.NewListener for TLS, a socket handed over by systemd. It sets
// e.Listener to ln, and e.Shutdown closes ln; when e or h is nil, Serve
// closes ln and returns an error.
func Serve(ctx context.Context, e *echo.Echo, ln net.Listener, h *core.Registry) error {
	if err := validate(e, h); err != nil {
		_ = ln.Close()
		return err
	}
	return h.Run(ctx, func() error { return start(e, ln) }, e.Shutdown)
}

// start serves e on ln. A Shutdown that comes before Start reaches Serve is
// not lost: http.Server.Serve then returns ErrServerClosed and closes ln.
func start(e *echo.Echo, ln net.Listener) error {
	e.Listener = ln
	e.HideBanner = true
	e.HidePort = true
	if e.Server.ReadHeaderTimeout == 0 {
		e.Server.ReadHeaderTimeout = ReadHeaderTimeout
	}
	return e.Start(ln.Addr().String())
}

// validate rejects what would otherwise serve normally and then fail with a
// nil dereference at shutdown.
func validate(e *echo.Echo, h *core.Registry) error {
	switch {
	case e == nil:
		return errors.New("echohealth: echo is nil")
	case e.Server == nil:
		return errors.New("echohealth: echo's Server is nil")
	case h == nil:
		return errors.New("echohealth: registry is nil")
	}
	return nil
}
