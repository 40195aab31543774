package echohealth

import (
	"context"
	"fmt"
	"net"

	"github.com/labstack/echo/v4"
	"github.com/probekit/probekit/core"
)

// Run listens on addr (e.ListenerNetwork, default "tcp") and serves e until
// SIGTERM, SIGINT or the end of ctx, then runs h's shutdown sequence with
// e.Shutdown as the graceful stop: readiness fails at once, the propagation
// delay passes while e still serves, the listener closes, in-flight requests
// drain, shutdown hooks run. See [core.Registry.Run] for the error: nil after
// a clean shutdown.
//
// Run hides echo's start-up banner and port line (e.HideBanner, e.HidePort):
// the registry logs the lifecycle with log/slog instead.
func Run(ctx context.Context, e *echo.Echo, addr string, h *core.Registry) error {
	network := e.ListenerNetwork
	if network == "" {
		network = "tcp"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return fmt.Errorf("echohealth: listen: %w", err)
	}
	return Serve(ctx, e, ln, h)
}

// Serve is Run on a listener the caller opened: port 0 in tests, a
// tls.NewListener for TLS, a socket handed over by systemd. It sets
// e.Listener to ln, and e.Shutdown closes ln.
func Serve(ctx context.Context, e *echo.Echo, ln net.Listener, h *core.Registry) error {
	e.Listener = ln
	e.HideBanner = true
	e.HidePort = true
	addr := ln.Addr().String()
	// A Shutdown that comes before Start reaches Serve is not lost:
	// http.Server.Serve then returns ErrServerClosed and closes ln.
	return h.Run(ctx, func() error { return e.Start(addr) }, e.Shutdown)
}
