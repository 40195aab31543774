package echo5health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
)

// ReadHeaderTimeout is the http.Server.ReadHeaderTimeout of Run and Serve:
// a client that does not send its request headers within it is
// disconnected, so slow clients cannot hold connections open.
const ReadHeaderTimeout = 10 * time.Second

// Run listens on addr over TCP and serves e until SIGTERM, SIGINT, the end
// of ctx or a shutdown started elsewhere (h.StartShutdown from a preStop
// handler, say), then runs or follows h's shutdown sequence with the
// server's Shutdown as the graceful stop: readiness fails at once, the
// propagation delay passes while e still serves, the listener closes,
// in-flight requests drain, shutdown hooks run. See [core.Registry.Run] for
// the error: nil after a clean shutdown. A nil e or h is an error, returned
// before listening.
//
// Run starts the server the way echo v5 does, with an echo.StartConfig: its
// http.Server has echo's defaults (a 30s ReadTimeout, e.Logger as its error
// log) and [ReadHeaderTimeout], echo's banner and port line are hidden (the
// registry logs the lifecycle with log/slog), and StartConfig's own graceful
// shutdown is off, since the shutdown sequence stops the server itself. An
// echo v5 instance is a plain http.Handler: for other server settings, serve
// it with your own http.Server through [core.Registry.Serve].
func Run(ctx context.Context, e *echo.Echo, addr string, h *core.Registry) error {
	if err := validate(e, h); err != nil {
		return err
	}
	s := &server{e: e}
	// Listening inside h.Run makes a listen error (address in use) a serve
	// failure like any other: the shutdown hooks run before it is returned.
	return h.Run(ctx, func() error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("echo5health: listen: %w", err)
		}
		return s.serve(ln)
	}, s.stop)
}

// Serve is Run on a listener the caller opened: port 0 in tests, a
// tls.NewListener for TLS, a socket handed over by systemd. It closes ln,
// also when e or h is nil, which is an error.
func Serve(ctx context.Context, e *echo.Echo, ln net.Listener, h *core.Registry) error {
	if err := validate(e, h); err != nil {
		_ = ln.Close()
		return err
	}
	s := &server{e: e}
	return h.Run(ctx, func() error { return s.serve(ln) }, s.stop)
}

// server is one run of e: echo.StartConfig creates the http.Server and
// hands it over just before serving, and the shutdown sequence may stop it
// at any moment, before that too.
type server struct {
	e *echo.Echo

	mu      sync.Mutex
	srv     *http.Server // nil until StartConfig's BeforeServeFunc ran
	ln      net.Listener // nil until serve began
	stopped bool         // stop ran: serve must not start any more
}

// serve serves e on ln until stop, or until serving fails.
func (s *server) serve(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	sc := echo.StartConfig{
		Listener:        ln,
		HideBanner:      true,
		HidePort:        true,
		GracefulTimeout: -1, // no graceful goroutine of echo's own: stop is the graceful stop
		BeforeServeFunc: func(srv *http.Server) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.stopped {
				return http.ErrServerClosed // StartConfig closes ln
			}
			if srv.ReadHeaderTimeout == 0 {
				srv.ReadHeaderTimeout = ReadHeaderTimeout
			}
			s.srv = srv
			return nil
		},
	}
	// The context only bounds a listen of StartConfig's own and its
	// graceful shutdown, neither of which is used.
	return sc.Start(context.Background(), s.e)
}

// stop shuts the server down gracefully within ctx. A stop that comes
// before the server exists closes the listener, and serve then refuses to
// start.
func (s *server) stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	srv, ln := s.srv, s.ln
	s.mu.Unlock()
	if srv != nil {
		// A Shutdown that comes before Serve is not lost: Serve then
		// returns ErrServerClosed and closes ln.
		return srv.Shutdown(ctx)
	}
	if ln != nil {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
	}
	return nil
}

// validate rejects what would otherwise serve normally and then fail with a
// nil dereference.
func validate(e *echo.Echo, h *core.Registry) error {
	switch {
	case e == nil:
		return errors.New("echo5health: echo is nil")
	case h == nil:
		return errors.New("echo5health: registry is nil")
	}
	return nil
}
