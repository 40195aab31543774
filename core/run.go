package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// ErrForced is wrapped by Run's error when a second signal cut the shutdown
// sequence short; the error says which signal came how long after the first.
var ErrForced = errors.New("shutdown forced by a second signal")

// DuplicateSignalWindow is how long after the first SIGTERM/SIGINT further
// ones are taken for duplicate deliveries of that same signal, not for an
// operator's second signal. One SIGTERM often arrives twice within
// milliseconds: a process-group kill while a wrapper (make, a shell, an init
// shim, a supervisor) forwards the signal too. Run logs and ignores such a
// duplicate; a signal that comes later forces the shutdown.
const DuplicateSignalWindow = 500 * time.Millisecond

// Run is the graceful runner every adapter builds on. It calls serve, which
// must block until the server stops, and waits for one of: serve returning,
// ctx ending, SIGTERM/SIGINT, or a shutdown sequence started elsewhere
// closing the listeners. Then it runs [Registry.Shutdown] with stop (the
// framework's graceful stop, required), waits for serve to return (unless
// stop ran out of time: a serve that waits for its stop to finish, as
// grpc.Server's does, would never return) and
// returns the first real error: nil after a clean shutdown, else the joined
// shutdown errors. http.ErrServerClosed is not an error. A graceful stop that
// runs out of time is reported as a *DrainTimeoutError like requests left in
// flight.
//
// If serve returns before any shutdown began (a permanent accept error, say),
// Run still stops the server and drains the requests in flight (up to
// Options.DrainTimeout) and runs the shutdown hooks, then returns serve's
// error. If the sequence was started elsewhere ([Registry.StartShutdown] or
// [Registry.Shutdown] from a preStop or admin handler, or another Run on the
// same registry, say for an admin port), Run stops its own server when that
// sequence closes its listeners, waits for the sequence to end, and returns
// nil or what stopping its own server abandoned: the other errors of the
// sequence go to whoever started it, and to the log.
//
// A second SIGTERM/SIGINT, more than DuplicateSignalWindow after the first,
// cancels the sequence, whoever started it: the remaining waits end at
// once, hooks see an ended context (and Run returns once they have), and
// the error wraps ErrForced, so that main can return (and the
// process exit) without waiting. A signal within the window, or the first
// signal after a shutdown that ctx or a handler started, is not a second
// signal: the sequence goes on.
func (r *Registry) Run(ctx context.Context, serve func() error, stop func(context.Context) error) error {
	if serve == nil || stop == nil {
		return errors.New("core: Run: serve and stop must not be nil")
	}
	// This server counts until it is stopped: the sequence, whoever runs
	// it, runs the hooks only once every server is stopped (see drain).
	r.servers.Enter()
	var left sync.Once
	leave := func() { left.Do(r.servers.Leave) }
	defer leave() // a stop abandoned at the deadline, say
	own := stop
	stop = func(ctx context.Context) error {
		defer leave()
		return own(ctx)
	}

	// One channel for the whole of Run, registered before serving, so that
	// there is no moment when SIGTERM would kill the process outright.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)

	serveErr := make(chan error, 1)
	go func() { serveErr <- serve() }()

	var (
		first           time.Time // when the first signal arrived; zero if none yet
		servedErr       error
		stoppedByItself bool // serve returned before any shutdown began
	)
	select {
	case servedErr = <-serveErr:
		stoppedByItself = true
	case <-ctx.Done():
	case <-r.closing: // a sequence started elsewhere is closing listeners
	case sig := <-sigs:
		first = time.Now()
		if r.Draining() { // the kubelet's SIGTERM after a preStop handler started it, say
			r.opts.Logger.Info("probekit: signal received, shutdown already under way", "signal", sig)
		} else {
			r.opts.Logger.Info("probekit: signal received, shutting down", "signal", sig)
		}
	}

	shutCtx, force := context.WithCancelCause(context.WithoutCancel(ctx))
	defer force(nil)
	forced := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go func() { // owns sigs from here on; exits on a second signal or when Run returns
		for {
			select {
			case sig := <-sigs:
				now := time.Now()
				if first.IsZero() {
					first = now
					r.opts.Logger.Info("probekit: signal received, shutdown already under way", "signal", sig)
					continue
				}
				after := now.Sub(first)
				if after < DuplicateSignalWindow {
					r.opts.Logger.Info("probekit: signal ignored as a duplicate delivery of the first", "signal", sig,
						"after", after.Round(time.Millisecond), "window", DuplicateSignalWindow)
					continue
				}
				err := fmt.Errorf("%w (%v %v after the first)", ErrForced, sig, after.Round(time.Millisecond))
				r.opts.Logger.Warn("probekit: second signal, cutting the shutdown short", "signal", sig, "after", after.Round(time.Millisecond))
				close(forced)
				force(err)
				r.cutShort(err) // the sequence, if someone else started it
				return
			case <-done:
				return
			}
		}
	}()

	var err error
	if stoppedByItself {
		err = r.served(shutCtx, servedErr, stop)
	} else {
		err = r.Shutdown(shutCtx, stop)
		if errors.Is(err, ErrShutdownInProgress) {
			err = r.follow(shutCtx, stop)
		}
		// A serve that returns only when its graceful stop has finished
		// (grpc.Server's Serve after GracefulStop) would hold Run for good
		// once that stop was abandoned: take its error only if it is there.
		var dte *DrainTimeoutError
		wait := shutCtx.Done() // forced: do not wait for a server that will not stop
		if errors.As(err, &dte) && dte.StopTimedOut {
			wait = nil
		}
		var e error
		select {
		case e = <-serveErr:
		default:
			if wait == nil {
				break
			}
			select {
			case e = <-serveErr:
			case <-wait:
			}
		}
		if e != nil && !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("core: serve: %w", e))
		}
	}
	select {
	case <-forced:
		err = errors.Join(context.Cause(shutCtx), err)
	default:
	}
	return err
}

// follow stops this server along with a shutdown sequence someone else
// started: when that sequence closes its listeners, with the same drain
// budget, and then waits for the sequence to end, so that its hooks have
// run when Run returns. Every step of the sequence is bounded, and a second
// signal cuts it short (see cutShort), so the wait ends. It returns what
// stopping this server abandoned.
func (r *Registry) follow(ctx context.Context, stop func(context.Context) error) error {
	select {
	case <-r.closing:
	case <-ctx.Done():
	}
	err := r.drain(ctx, stop, false)
	<-r.stopped
	return err
}

// served handles serve returning before any shutdown began. If a shutdown
// sequence is running (it stopped the server), it follows it. Otherwise the
// server stopped by itself: connections may still be open and requests in
// flight, so it stops the server and drains them, then runs the hooks,
// before the process goes down.
func (r *Registry) served(ctx context.Context, serveErr error, stop func(context.Context) error) error {
	var err error
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = fmt.Errorf("core: serve: %w", serveErr)
	}
	for {
		prev := r.State()
		if prev >= StateDraining {
			return errors.Join(err, r.follow(ctx, ignoreClosed(stop)))
		}
		if r.transition(prev, StateDraining, "server stopped") {
			break
		}
	}
	close(r.closing)
	// No propagation delay: the listener is gone already. The step still
	// ends, at once, so that what ends with it (connecthealth's Watch
	// streams, which http.Server.Shutdown would otherwise wait for until
	// the drain timeout) ends on this path too.
	r.phaseEnded("propagation", ReasonStoppedByItself)
	ctx, release := r.sequenceContext(ctx)
	defer release()
	errs := []error{err}
	// The graceful stop still closes the connections the server left open
	// and waits for them; that its listener is gone already is no error.
	if e := r.drain(ctx, ignoreClosed(stop), true); e != nil {
		errs = append(errs, e)
	}
	r.phaseDone("drain")
	errs = append(errs, r.runHooks(ctx)...)
	r.phaseDone("hooks")
	r.enterStopped("server stopped")
	return errors.Join(errs...)
}

// ignoreClosed wraps a graceful stop called after the server stopped
// serving: a listener or server found closed already is no error.
func ignoreClosed(stop func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		err := stop(ctx)
		if errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
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
