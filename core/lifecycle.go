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
	if !r.state.CompareAndSwap(int32(from), int32(to)) {
		return false
	}
	r.gen.Add(1)
	r.Notify(Transition{Component: "lifecycle", Name: r.opts.Service, From: from.String(), To: to.String(), Reason: reason})
	return true
}

// hook is a named shutdown hook.
type hook struct {
	name string
	fn   func(context.Context) error
}

// OnShutdown registers fn to run at the end of Shutdown, after in-flight
// requests have drained: close database pools, flush telemetry. Hooks run in
// reverse registration order (the last opened resource closes first), each
// with the context that bounds all hooks (Options.HookTimeout).
func (r *Registry) OnShutdown(name string, fn func(ctx context.Context) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = append(r.hooks, hook{name: name, fn: fn})
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
// ctx bounds the whole sequence: when it ends (a second signal, say), the
// remaining waits are cut short and hooks get an ended context. stop may be
// nil. The error joins a *DrainTimeoutError, stop's error and each hook's
// error (wrapped with its name); nil means a clean shutdown. Calling Shutdown
// again returns an error and does nothing.
func (r *Registry) Shutdown(ctx context.Context, stop func(context.Context) error) error {
	prev := r.State()
	if prev >= StateDraining || !r.transition(prev, StateDraining, "shutdown requested") {
		return errors.New("core: shutdown already in progress")
	}
	var errs []error

	delay := time.NewTimer(r.opts.PropagationDelay)
	select {
	case <-delay.C:
	case <-ctx.Done():
		delay.Stop()
	}

	drainCtx, cancel := context.WithTimeout(ctx, r.opts.DrainTimeout)
	if stop != nil {
		if err := stop(drainCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("core: stop serving: %w", err))
		}
	}
	if err := r.inFlight.Wait(drainCtx); err != nil {
		errs = append(errs, &DrainTimeoutError{Abandoned: r.inFlight.Count(), Timeout: r.opts.DrainTimeout})
	}
	cancel()

	errs = append(errs, r.runHooks(ctx)...)
	r.transition(StateDraining, StateStopped, "shutdown complete")
	return errors.Join(errs...)
}

func (r *Registry) runHooks(ctx context.Context) []error {
	r.mu.RLock()
	hooks := append([]hook(nil), r.hooks...)
	r.mu.RUnlock()
	hookCtx, cancel := context.WithTimeout(ctx, r.opts.HookTimeout)
	defer cancel()
	var errs []error
	for i := len(hooks) - 1; i >= 0; i-- {
		h := hooks[i]
		if err := callHook(hookCtx, h.fn); err != nil {
			errs = append(errs, fmt.Errorf("core: shutdown hook %q: %w", h.name, err))
		}
	}
	return errs
}

// callHook runs fn, turning a panic into an error so one bad hook cannot
// stop the others.
func callHook(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return fn(ctx)
}
