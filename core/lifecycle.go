package core

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// State is the lifecycle state of a service:
// Starting -> Ready -> Draining -> Stopped.
type State int32

// The lifecycle states.
const (
	// StateStarting: startup checks have not all passed yet. Readiness and
	// startup probes fail with the message "starting".
	StateStarting State = iota
	// StateReady: serving; probes report the checks.
	StateReady
	// StateDraining: shutdown has begun. Readiness fails with "shutting
	// down"; liveness still reports its checks, so the kubelet does not kill
	// a pod that is finishing its requests.
	StateDraining
	// StateStopped: the shutdown sequence has finished.
	StateStopped
)

// String returns "starting", "ready", "draining" or "stopped".
func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateReady:
		return "ready"
	case StateDraining:
		return "draining"
	case StateStopped:
		return "stopped"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// State returns the current lifecycle state.
func (r *Registry) State() State { return State(r.state.Load()) }

// Draining reports whether shutdown has begun. Drain middlewares use it to
// add "Connection: close" so keep-alive clients move to other pods. A nil
// Registry is never draining.
func (r *Registry) Draining() bool { return r != nil && r.State() >= StateDraining }

// InFlight returns the registry's in-flight request counter, which the drain
// middlewares feed and Shutdown waits on. A nil Registry returns a counter
// of its own that nothing waits on, so a drain middleware built on a nil
// registry passes requests through instead of crashing.
func (r *Registry) InFlight() *InFlight {
	if r == nil {
		return &orphanInFlight
	}
	return &r.inFlight
}

var orphanInFlight InFlight

// MarkStarted ends the starting phase at once, without waiting for startup
// checks to pass. Without it, the registry leaves StateStarting the first
// time all startup checks pass (at once if there are none). It has no effect
// once started.
func (r *Registry) MarkStarted() { r.transition(StateStarting, StateReady, "marked started") }

// transition moves from -> to, reporting the change once.
func (r *Registry) transition(from, to State, reason string) bool {
	if from == to || !r.state.CompareAndSwap(int32(from), int32(to)) {
		return false
	}
	r.gen.Add(1)
	r.Notify(Transition{Component: "lifecycle", Name: r.opts.Service, From: from.String(), To: to.String(), Reason: reason})
	if to == StateStopped {
		close(r.stopped)
	}
	return true
}

// enterStopped moves to StateStopped from whatever state, reporting it once.
func (r *Registry) enterStopped(reason string) {
	for {
		s := r.State()
		if s == StateStopped || r.transition(s, StateStopped, reason) {
			return
		}
	}
}

// hook is a named shutdown hook.
type hook struct {
	name string
	fn   func(context.Context) error
}

// OnShutdown registers fn to run at the end of Shutdown, after in-flight
// requests have drained: close database pools, flush telemetry. Hooks run
// once, in reverse registration order (the last opened resource closes
// first), each with the context that bounds all hooks (Options.HookTimeout).
// Each hook runs on a goroutine of its own: a hook that panics, calls
// runtime.Goexit or returns an error whose methods panic is reported as its
// error; the others still run. An empty name or a nil fn is an error.
func (r *Registry) OnShutdown(name string, fn func(ctx context.Context) error) error {
	switch {
	case name == "":
		return errors.New("core: OnShutdown: name is empty")
	case fn == nil:
		return fmt.Errorf("core: OnShutdown %q: fn is nil", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = append(r.hooks, hook{name: name, fn: fn})
	return nil
}

// ErrDrainTimeout is wrapped by the error Shutdown returns when requests were
// still in flight at the drain timeout; see [DrainTimeoutError].
var ErrDrainTimeout = errors.New("drain timeout")

// DrainTimeoutError reports requests abandoned at the drain timeout.
type DrainTimeoutError struct {
	// Abandoned is the number of requests still in flight at the deadline.
	Abandoned int64
	// Timeout is the drain timeout that passed.
	Timeout time.Duration
}

// Error says how many requests were abandoned.
func (e *DrainTimeoutError) Error() string {
	return fmt.Sprintf("drain timeout after %v: %d requests still in flight", e.Timeout, e.Abandoned)
}

// Is makes errors.Is(err, ErrDrainTimeout) true.
func (e *DrainTimeoutError) Is(target error) bool { return target == ErrDrainTimeout }

// ErrShutdownInProgress is returned by a Shutdown that finds the sequence
// already started (by another Shutdown or Run), whether or not it has ended.
var ErrShutdownInProgress = errors.New("core: shutdown already started")

// Shutdown runs the shutdown sequence:
//
//  1. readiness fails at once with "shutting down" (liveness is unchanged);
//  2. wait Options.PropagationDelay, still serving, so that load balancers
//     stop sending new requests;
//  3. call stop (for example http.Server.Shutdown), which must close the
//     listeners and may wait for connections, with a context that ends at
//     Options.DrainTimeout, and wait for the in-flight count to reach zero
//     within the same deadline;
//  4. run the shutdown hooks in reverse order within Options.HookTimeout;
//  5. enter StateStopped.
//
// Each step is logged once. ctx bounds the whole sequence: when it ends (a
// second signal, say), the remaining waits are cut short and hooks get an
// ended context. stop may be nil. The error joins a *DrainTimeoutError,
// stop's error and each hook's error (wrapped with its name); nil means a
// clean shutdown. A Shutdown that finds the sequence already started does
// nothing and returns ErrShutdownInProgress.
func (r *Registry) Shutdown(ctx context.Context, stop func(context.Context) error) error {
	for {
		prev := r.State()
		if prev >= StateDraining {
			return ErrShutdownInProgress
		}
		// A probe may move Starting to Ready meanwhile: retry, never give up.
		if r.transition(prev, StateDraining, "shutdown requested") {
			break
		}
	}
	log := r.opts.Logger
	var errs []error

	delay := time.NewTimer(r.opts.PropagationDelay)
	select {
	case <-delay.C:
	case <-ctx.Done():
		delay.Stop()
	}
	log.Info("probekit: propagation delay over, closing listeners", "delay", r.opts.PropagationDelay, "in_flight", r.inFlight.Count())
	close(r.closing) // other servers of this registry (see Run) stop now too

	drainCtx, cancel := context.WithTimeout(ctx, r.opts.DrainTimeout)
	if stop != nil {
		if err := stop(drainCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("core: stop serving: %w", err))
		}
	}
	if err := r.inFlight.Wait(drainCtx); err != nil {
		dte := &DrainTimeoutError{Abandoned: r.inFlight.Count(), Timeout: r.opts.DrainTimeout}
		log.Warn("probekit: drain timeout, abandoning requests", "abandoned", dte.Abandoned, "drain_timeout", dte.Timeout)
		errs = append(errs, dte)
	} else {
		log.Info("probekit: drained, no request in flight")
	}
	cancel()

	errs = append(errs, r.runHooks(ctx)...)
	r.transition(StateDraining, StateStopped, "shutdown complete")
	return errors.Join(errs...)
}

// runHooks runs the shutdown hooks once, however often it is called.
func (r *Registry) runHooks(ctx context.Context) []error {
	r.mu.Lock()
	hooks := r.hooks
	r.hooks = nil
	r.mu.Unlock()
	hookCtx, cancel := context.WithTimeout(ctx, r.opts.HookTimeout)
	defer cancel()
	var errs []error
	for i := len(hooks) - 1; i >= 0; i-- {
		h := hooks[i]
		if err := callHook(hookCtx, h.fn); err != nil {
			r.opts.Logger.Warn("probekit: shutdown hook failed", "hook", h.name, "err", redactError(err))
			errs = append(errs, fmt.Errorf("core: shutdown hook %q: %w", h.name, err))
			continue
		}
		r.opts.Logger.Info("probekit: shutdown hook done", "hook", h.name)
	}
	return errs
}

// callHook runs fn on a goroutine of its own and waits for it to return.
// Whatever fn does becomes its error (a panic, a runtime.Goexit, an error
// whose methods panic) and cannot stop the other hooks or end the goroutine
// running Shutdown.
func callHook(ctx context.Context, fn func(context.Context) error) (err error) {
	elsewhere(func() {
		var e error
		v, panicked := protect(func() { e = fn(ctx) }, func() { err = exitedError("hook") })
		if panicked {
			e = errPanic{v}
		}
		if e != nil {
			err = readError("hook", e, func(u *userError) { err = u })
		}
	})
	return err
}
