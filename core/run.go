package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

// ErrForced is wrapped by Run's error when a second signal cut the shutdown
// sequence short.
var ErrForced = errors.New("shutdown forced by a second signal")

// Run is the graceful runner every adapter builds on. It calls serve, which
// must block until the server stops, and waits for one of: serve failing
// (its error is returned), ctx ending, or SIGTERM/SIGINT. Then it runs
// [Registry.Shutdown] with stop (the framework's graceful stop), waits for
// serve to return and returns the first real error: nil after a clean
// shutdown, else the joined shutdown errors. http.ErrServerClosed is not an
// error.
//
// A second SIGTERM/SIGINT during the sequence cancels it: the remaining waits
// end at once, hooks see an ended context, and the error wraps ErrForced, so
// that main can return (and the process exit) without waiting.
func (r *Registry) Run(ctx context.Context, serve func() error, stop func(context.Context) error) error {
	sigCtx, stopSignals := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stopSignals()

	serveErr := make(chan error, 1)
	go func() { serveErr <- serve() }()

	select {
	case err := <-serveErr:
		// The server stopped by itself (it could not listen, say): the
		// process is going down, so release what the hooks hold.
		hookErrs := r.runHooks(ctx)
		r.enterStopped("server stopped")
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			return errors.Join(hookErrs...)
		}
		return errors.Join(append([]error{fmt.Errorf("core: serve: %w", err)}, hookErrs...)...)
	case <-sigCtx.Done():
	}

	// Listen for a second signal before releasing the first handler, so
	// that there is no moment when SIGTERM would kill the process outright.
	second := make(chan os.Signal, 1)
	signal.Notify(second, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(second)
	stopSignals()

	shutCtx, force := context.WithCancel(context.WithoutCancel(ctx))
	defer force()
	forced := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go func() { // exits on the second signal or when Run returns
		select {
		case <-second:
			close(forced)
			force()
		case <-done:
		}
	}()

	err := r.Shutdown(shutCtx, stop)
	if errors.Is(err, ErrShutdownInProgress) {
		// Someone else (a preStop handler, say) runs the sequence: wait for
		// it, then make sure this server has stopped too.
		select {
		case <-r.stopped:
		case <-shutCtx.Done():
		}
		err = nil
		if e := stop(shutCtx); e != nil && !errors.Is(e, context.Canceled) {
			err = fmt.Errorf("core: stop serving: %w", e)
		}
	}
	select {
	case e := <-serveErr:
		if e != nil && !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("core: serve: %w", e))
		}
	case <-shutCtx.Done(): // forced: do not wait for a server that will not stop
	}
	select {
	case <-forced:
		err = errors.Join(ErrForced, err)
	default:
	}
	return err
}

// ListenAndServe runs srv on srv.Addr through [Registry.Run], with
// http.Server.Shutdown as the graceful stop.
func (r *Registry) ListenAndServe(ctx context.Context, srv *http.Server) error {
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("core: listen: %w", err)
	}
	return r.Serve(ctx, srv, ln)
}

// Serve is ListenAndServe on a listener the caller opened (tests use port 0).
// It closes ln.
func (r *Registry) Serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	return r.Run(ctx, func() error { return srv.Serve(ln) }, srv.Shutdown)
}
