package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
// A hook still running shortly after that context ends is abandoned: its
// error wraps ErrHookAbandoned and the context's cause
// (context.DeadlineExceeded at the hook timeout); the hooks after it run
// with the ended context, each abandoned in turn if it does not return
// promptly.
// Each hook runs on a goroutine of its own: a hook that panics, calls
// runtime.Goexit or returns an error whose methods panic is reported as its
// error; the others still run. An empty name or a nil fn is an error, and
// so is a hook registered once the sequence has run the hooks (it would
// never run): the error wraps ErrShutdownInProgress. A hook registered
// earlier during the sequence (in the propagation delay or the drain) runs.
func (r *Registry) OnShutdown(name string, fn func(ctx context.Context) error) error {
	switch {
	case name == "":
		return errors.New("core: OnShutdown: name is empty")
	case fn == nil:
		return fmt.Errorf("core: OnShutdown %q: fn is nil", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hooksTaken {
		return fmt.Errorf("core: OnShutdown %q: the shutdown hooks have run already: %w", name, ErrShutdownInProgress)
	}
	r.hooks = append(r.hooks, hook{name: name, fn: fn})
	return nil
}

// ErrDrainTimeout is wrapped by the error Shutdown returns when requests were
// still in flight at the drain timeout; see [DrainTimeoutError].
var ErrDrainTimeout = errors.New("drain timeout")

// DrainTimeoutError reports a drain that did not finish: requests still in
// flight, or a graceful stop of the server that did not complete, when the
// drain timeout passed or the shutdown was cut short (by a second signal,
// say).
type DrainTimeoutError struct {
	// Abandoned is the number of requests the in-flight counter still saw
	// when the drain was given up.
	Abandoned int64
	// Timeout is the drain timeout (Options.DrainTimeout).
	Timeout time.Duration
	// Elapsed is how long the drain ran before it was given up: about
	// Timeout, or less when it was cut short.
	Elapsed time.Duration
	// StopTimedOut reports that the server's graceful stop (the stop
	// function given to Run or Shutdown) ran out of time: connections were
	// still open, such as a stream the drain middleware does not count,
	// even if Abandoned is zero.
	StopTimedOut bool
	// Cause is why the drain was cut short before Timeout (for Run, an
	// error wrapping ErrForced), or nil when the timeout passed.
	Cause error
}

// Error says what was abandoned, after how long and why.
func (e *DrainTimeoutError) Error() string {
	var b strings.Builder
	if e.Cause != nil {
		fmt.Fprintf(&b, "drain cut short after %v (%v)", e.Elapsed.Round(time.Millisecond), e.Cause)
	} else {
		fmt.Fprintf(&b, "drain timeout after %v", e.Timeout)
	}
	if e.StopTimedOut {
		fmt.Fprintf(&b, ": the server's graceful stop did not finish, %d requests still in flight by the counter", e.Abandoned)
	} else {
		fmt.Fprintf(&b, ": %d requests still in flight", e.Abandoned)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrDrainTimeout) true.
func (e *DrainTimeoutError) Is(target error) bool { return target == ErrDrainTimeout }

// Unwrap returns Cause, so that errors.Is(err, ErrForced) holds for a drain
// that a second signal cut short.
func (e *DrainTimeoutError) Unwrap() error { return e.Cause }

// ErrHookAbandoned is wrapped by the error of a shutdown hook that was
// still running when the hook timeout passed or the sequence was cut short
// (a hook that ignores its context): the sequence stopped waiting for it
// and went on, and the hook's goroutine runs on until it returns. A
// graceful stop abandoned the same way is reported as a
// [DrainTimeoutError] with StopTimedOut.
var ErrHookAbandoned = errors.New("abandoned: still running when its context ended")

// ErrShutdownInProgress is returned by a Shutdown that finds the sequence
// already started (by another Shutdown or Run), whether or not it has ended.
var ErrShutdownInProgress = errors.New("core: shutdown already started")

// Shutdown runs the shutdown sequence:
//
//  1. readiness fails at once with "shutting down" (liveness is unchanged);
//  2. wait Options.PropagationDelay, still serving, so that load balancers
//     stop sending new requests; with Options.QuietPeriod, wait at least
//     that long and until no request has arrived for the quiet period, at
//     most Options.PropagationDelayMax (the log line and the step's
//     Transition say which bound ended the wait);
//  3. call stop (for example http.Server.Shutdown), which must close the
//     listeners and may wait for connections, with a context that ends at
//     Options.DrainTimeout, and wait for the in-flight count to reach zero
//     within the same deadline (a stop still running then is abandoned
//     and reported as timed out); every Run on the registry stops its own
//     server at this point too, and the sequence waits for them within the
//     same deadline;
//  4. run the shutdown hooks in reverse order within Options.HookTimeout
//     (a hook still running then is abandoned, see [ErrHookAbandoned]);
//  5. enter StateStopped.
//
// Each step is logged once, with what actually happened: a step cut short
// says after how long and why. ctx bounds the whole sequence: when it ends
// (a second signal, say), the remaining waits are cut short and hooks get an
// ended context. stop may be nil. The error joins a *DrainTimeoutError
// (requests still in flight, or a stop that ran out of time), stop's other
// errors and each hook's error (wrapped with its name); nil means a clean
// shutdown. A Shutdown that finds the sequence already started does nothing
// and returns ErrShutdownInProgress.
//
// Shutdown returns when the sequence has ended. Called from a request that
// the drain middleware counts (an admin or preStop handler), it would wait
// for that very request until the drain timeout and report it abandoned:
// call [Registry.StartShutdown] there instead.
func (r *Registry) Shutdown(ctx context.Context, stop func(context.Context) error) error {
	if !r.beginShutdown() {
		return ErrShutdownInProgress
	}
	return r.shutdown(ctx, stop)
}

// StartShutdown starts the shutdown sequence of [Registry.Shutdown] in the
// background, with no stop function of its own, and returns at once: nil,
// or ErrShutdownInProgress if the sequence had already started. It is the
// call for a preStop or admin handler: the handler's own request is not
// waited for, since it has answered by the time the listeners close. Every
// Run and Serve on the registry stops its server with the sequence and
// returns; the sequence logs each step and what it abandoned.
//
// The kubelet sends SIGTERM as soon as a preStop hook has answered; Run
// takes it as the first signal and keeps following the sequence already
// under way, so the pod still gets the whole propagation delay and drain.
func (r *Registry) StartShutdown() error {
	if !r.beginShutdown() {
		return ErrShutdownInProgress
	}
	// The goroutine ends with the sequence, which every step bounds
	// (propagation delay, drain timeout, hook timeout); its errors are
	// logged step by step.
	go func() { _ = r.shutdown(context.Background(), nil) }()
	return nil
}

// beginShutdown enters StateDraining, reporting false if the sequence had
// already begun.
func (r *Registry) beginShutdown() bool {
	for {
		prev := r.State()
		if prev >= StateDraining {
			return false
		}
		// A probe may move Starting to Ready meanwhile: retry, never give up.
		if r.transition(prev, StateDraining, "shutdown requested") {
			return true
		}
	}
}

// sequenceContext is ctx, also ended (with its cause) when a Run forces the
// shutdown: a second signal cuts the running sequence short whoever started
// it (StartShutdown, a Shutdown from a handler, another Run). The returned
// func releases it.
func (r *Registry) sequenceContext(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	unhook := context.AfterFunc(r.cut, func() { cancel(context.Cause(r.cut)) })
	return ctx, func() { unhook(); cancel(nil) }
}

// shutdown is the sequence after StateDraining was entered.
func (r *Registry) shutdown(ctx context.Context, stop func(context.Context) error) error {
	ctx, release := r.sequenceContext(ctx)
	defer release()
	reason := r.propagate(ctx)
	close(r.closing) // other servers of this registry (see Run) stop now too
	r.phaseEnded("propagation", reason)

	var errs []error
	if err := r.drain(ctx, stop, true); err != nil {
		errs = append(errs, err)
	}
	r.phaseDone("drain")
	errs = append(errs, r.runHooks(ctx)...)
	r.phaseDone("hooks")
	r.transition(StateDraining, StateStopped, "shutdown complete")
	return errors.Join(errs...)
}

// phaseDone tells observers that a step of the shutdown sequence has ended
// ("propagation", "drain", "hooks"): a Transition of Component "shutdown",
// Name the step, From "running", To "done", whose Time is the step's end,
// so that metrics can time the steps. The sequence logs each step itself,
// with its details; the slog observer leaves these out.
func (r *Registry) phaseDone(step string) { r.phaseEnded(step, "") }

// phaseEnded is phaseDone with a Reason saying how the step ended where
// there is a choice: for an adaptive propagation delay, the bound that
// ended it and why ("quiet: quiet for 500ms after 2.3s", see
// [BoundMinimum]).
func (r *Registry) phaseEnded(step, reason string) {
	r.Notify(Transition{Component: "shutdown", Name: step, From: "running", To: "done", Reason: reason})
}

// drain is step 3 of the sequence, shared by Shutdown and by each Run that
// stops its own server: stop the server with a context that ends at the
// drain timeout (or with ctx), and, for the sequence itself (waitInFlight),
// wait for the in-flight count to reach zero within the same deadline. A
// stop that runs out of time is an abandoned drain like requests left in
// flight: it is logged and reported as a *DrainTimeoutError, never as a
// clean drain. A nil stop is no stop.
func (r *Registry) drain(ctx context.Context, stop func(context.Context) error, waitInFlight bool) error {
	start := time.Now()
	drainCtx, cancel := context.WithTimeout(ctx, r.opts.DrainTimeout)
	defer cancel()
	var errs []error
	stopTimedOut := false
	var counted int64 // abandoned requests a stop counted itself
	if stop != nil {
		// Called like a hook: a stop that ignores its context (user code
		// given to Run or Shutdown) is abandoned at the drain deadline
		// instead of holding the sequence for good.
		var own *DrainTimeoutError
		if err := callHook(drainCtx, "stop", stop); err != nil {
			switch {
			case drainCtx.Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, ErrHookAbandoned)):
				stopTimedOut = true
			case errors.As(err, &own):
				// A stop that gave up at the deadline, forced its server
				// down and counted the requests it abandoned before they
				// were canceled (grpchealth.Stop): the same abandoned
				// drain, logged and observed as such, with its count.
				stopTimedOut, counted = true, own.Abandoned
			default:
				errs = append(errs, fmt.Errorf("core: stop serving: %w", err))
			}
		}
	}
	if !stopTimedOut {
		if !waitInFlight {
			return errors.Join(errs...)
		}
		// Every Run on the registry stops its own server when the listeners
		// close (see follow): the hooks must not close what a server still
		// accepting requests uses. A server whose stop runs out of time
		// reports it in its own Run.
		_ = r.servers.Wait(drainCtx)
		if r.inFlight.Wait(drainCtx) == nil {
			r.opts.Logger.Info("probekit: drained, no request in flight")
			return errors.Join(errs...)
		}
	}
	dte := &DrainTimeoutError{Abandoned: max(r.inFlight.Count(), counted), Timeout: r.opts.DrainTimeout, Elapsed: time.Since(start), StopTimedOut: stopTimedOut}
	if ctx.Err() != nil {
		dte.Cause = context.Cause(ctx)
	}
	args := []any{"after", dte.Elapsed.Round(time.Millisecond), "drain_timeout", dte.Timeout, "abandoned", dte.Abandoned}
	if dte.Cause != nil {
		// The caller's error, which may hold secrets: logged like a check's.
		args = append(args, "cause", redactError(dte.Cause))
	}
	if stopTimedOut {
		r.opts.Logger.Warn("probekit: drain incomplete: the server's graceful stop timed out", args...)
	} else {
		r.opts.Logger.Warn("probekit: drain incomplete, abandoning requests", args...)
	}
	if waitInFlight {
		// The sequence's own drain (not a follower's): observers count the
		// abandoned requests once per shutdown.
		r.Notify(Transition{Component: "shutdown", Name: "drain", From: "draining", To: "abandoned",
			Reason: fmt.Sprintf("%d requests still in flight", dte.Abandoned), Err: dte})
	}
	return errors.Join(append(errs, dte)...)
}

// since is the time since start, rounded for logs and errors.
func since(start time.Time) time.Duration { return time.Since(start).Round(time.Millisecond) }

// runHooks runs the shutdown hooks once, however often it is called.
func (r *Registry) runHooks(ctx context.Context) []error {
	r.mu.Lock()
	hooks := r.hooks
	r.hooks, r.hooksTaken = nil, true
	r.mu.Unlock()
	hookCtx, cancel := context.WithTimeout(ctx, r.opts.HookTimeout)
	defer cancel()
	// A hook that ignores its context is abandoned shortly after the
	// context ends (see callHook). The hooks after it still run, with the
	// ended context (they may release what needs no wait), each abandoned
	// in turn if it does not return at once: the sequence always ends.
	var errs []error
	for i := len(hooks) - 1; i >= 0; i-- {
		h := hooks[i]
		if err := callHook(hookCtx, "hook", h.fn); err != nil {
			r.opts.Logger.Warn("probekit: shutdown hook failed", "hook", h.name, "err", redactError(err))
			errs = append(errs, fmt.Errorf("core: shutdown hook %q: %w", h.name, err))
			continue
		}
		r.opts.Logger.Info("probekit: shutdown hook done", "hook", h.name)
	}
	return errs
}

// callHook runs fn, user code (who: "hook", "stop"), on a goroutine of its
// own and waits for it to return or for ctx to end, whichever comes first.
// Whatever fn does becomes its error (a panic, a runtime.Goexit, an error
// whose methods panic) and cannot stop the other hooks or end the goroutine
// running Shutdown. An fn still running abandonGrace after ctx ended (one
// that ignores its context) is abandoned: the error wraps ErrHookAbandoned
// and the sequence goes on; fn's goroutine ends whenever fn returns.
func callHook(ctx context.Context, who string, fn func(context.Context) error) error {
	done := make(chan error, 1) // buffered: an abandoned fn's goroutine never blocks
	go func() {
		var err error
		defer func() { done <- err }() // also when fn calls runtime.Goexit
		var e error
		v, panicked := protect(func() { e = fn(ctx) }, func() { err = exitedError(who) })
		if panicked {
			e = errPanic{v}
		}
		if e != nil {
			err = readError(who, e, func(u *userError) { err = u })
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// A context that had ended before fn was called (a sequence cut short)
	// gives fn no time at all: the grace lets an fn that honours its
	// context, or is quick anyway, report what it did rather than be called
	// abandoned.
	grace := time.NewTimer(abandonGrace)
	defer grace.Stop()
	select {
	case err := <-done:
		return err
	case <-grace.C:
		return fmt.Errorf("%s %w: %w", who, ErrHookAbandoned, context.Cause(ctx))
	}
}

// abandonGrace is how long a hook or graceful stop still has to return once
// its context has ended before it is abandoned.
const abandonGrace = 100 * time.Millisecond
