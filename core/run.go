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
// must block until the server stops, and waits for one of: serve returning,
// ctx ending, or SIGTERM/SIGINT. Then it runs [Registry.Shutdown] with stop
// (the framework's graceful stop, required), waits for serve to return and
// returns the first real error: nil after a clean shutdown, else the joined
// shutdown errors. http.ErrServerClosed is not an error.
//
// If serve returns before any shutdown began (a permanent accept error, say),
// Run still drains the requests in flight (up to Options.DrainTimeout) and
// runs the shutdown hooks, then returns serve's error. If the sequence was
// started elsewhere (a preStop handler calling Shutdown, or another Run on
// the same registry, say for an admin port), Run stops its own server when
// that sequence closes its listeners, waits for the sequence to end, and
// returns nil: the errors of the sequence go to whoever started it.
//
// A second SIGTERM/SIGINT during the sequence cancels it: the remaining waits
// end at once, hooks see an ended context, and the error wraps ErrForced, so
// that main can return (and the process exit) without waiting.
func (r *Registry) Run(ctx context.Context, serve func() error, stop func(context.Context) error) error {
	if serve == nil || stop == nil {
		return errors.New("core: Run: serve and stop must not be nil")
	}
	sigCtx, stopSignals := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stopSignals()

	serveErr := make(chan error, 1)
	go func() { serveErr <- serve() }()

	select {
	case err := <-serveErr:
		return r.served(ctx, err)
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
		err = r.follow(shutCtx, stop)
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

// follow stops this server along with a shutdown sequence someone else
// started: when that sequence closes its listeners, with the same drain
// budget, and then waits for the sequence to end.
func (r *Registry) follow(ctx context.Context, stop func(context.Context) error) error {
	select {
	case <-r.closing:
	case <-ctx.Done():
	}
	drainCtx, cancel := context.WithTimeout(ctx, r.opts.DrainTimeout)
	defer cancel()
	var err error
	if e := stop(drainCtx); e != nil && !errors.Is(e, context.DeadlineExceeded) && !errors.Is(e, context.Canceled) {
		err = fmt.Errorf("core: stop serving: %w", e)
	}
	select {
	case <-r.stopped:
	case <-ctx.Done():
	}
	return err
}

// served handles serve returning before any signal. If a shutdown sequence
// is running (it stopped the server), it waits for it to end. Otherwise the
// server stopped by itself: requests may still be in flight on open
// connections, so it drains them, then runs the hooks, before the process
// goes down.
func (r *Registry) served(ctx context.Context, serveErr error) error {
	var err error
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = fmt.Errorf("core: serve: %w", serveErr)
	}
	for {
		prev := r.State()
		if prev >= StateDraining {
			<-r.stopped
			return err
		}
		if r.transition(prev, StateDraining, "server stopped") {
			break
		}
	}
	ctx = context.WithoutCancel(ctx)
	drainCtx, cancel := context.WithTimeout(ctx, r.opts.DrainTimeout)
	errs := []error{err}
	if r.inFlight.Wait(drainCtx) != nil {
		errs = append(errs, &DrainTimeoutError{Abandoned: r.inFlight.Count(), Timeout: r.opts.DrainTimeout})
	}
	cancel()
	close(r.closing)
	errs = append(errs, r.runHooks(ctx)...)
	r.enterStopped("server stopped")
	return errors.Join(errs...)
}

// ListenAndServe runs srv on srv.Addr through [Registry.Run], with
// http.Server.Shutdown as the graceful stop. It listens inside Run, so a
// listen error (address in use, say) is handled like any serve failure: the
// shutdown hooks run and the error is returned.
func (r *Registry) ListenAndServe(ctx context.Context, srv *http.Server) error {
	return r.Run(ctx, func() error {
		ln, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		// A Shutdown that came first makes Serve return ErrServerClosed
		// (and close ln) at once.
		return srv.Serve(ln)
	}, srv.Shutdown)
}

// Serve is ListenAndServe on a listener the caller opened (tests use port 0).
// It closes ln.
func (r *Registry) Serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	return r.Run(ctx, func() error { return srv.Serve(ln) }, srv.Shutdown)
}
