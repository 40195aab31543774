package core

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Observer receives what the registry learns: every check result and every
// transition (a check's status, the lifecycle state, or a component such as a
// circuit breaker). Implementations must be safe for concurrent use and must
// not block: they are called on the evaluation path. Each call is contained:
// a panic or runtime.Goexit abandons that call only (the other observers are
// still called, and the fault is logged once per observer); it never ends a
// probe's or a caller's goroutine. A call that blocks holds up a probe or
// the shutdown sequence no longer than Options.DefaultTimeout, but keeps its
// goroutine, and delays the observers after it. An observer may evaluate the
// registry: while a result is being delivered, an evaluation of its check
// gets that result, and does not call the check again.
type Observer interface {
	// ObserveResult is called after every run of a check.
	ObserveResult(r Result)
	// ObserveTransition is called once per change, never per probe.
	ObserveTransition(t Transition)
}

// Transition is a change of state worth one log line.
type Transition struct {
	// Component says what changed: "check", "lifecycle", "breaker",
	// "feature" (From and To "on" or "off"; see [Feature]), "drill" (From
	// "off" To the drill's status at its start, back at its end; see
	// [Registry.Drill]), "shutdown", ...
	// The shutdown sequence reports each step's end (Name "propagation",
	// "drain" or "hooks", From "running", To "done"; an adaptive
	// propagation delay's Reason names the bound that ended it, see
	// [BoundMinimum]; a server that stopped by itself ends the step at once,
	// see [ReasonStoppedByItself]) and a drain that abandoned requests (Name "drain", To
	// "abandoned", Err a *DrainTimeoutError); the slog observer leaves these
	// out, as the sequence logs its steps itself.
	Component string
	// Name is the check's, breaker's or service's name.
	Name string
	// From and To are the old and new state ("ok", "unavailable", "draining").
	From, To string
	// Reason is a short, secret-free explanation; may be empty.
	Reason string
	// Err is the raw error behind a check's transition: the error of the
	// run that caused it (nil when that run succeeded); for an abandoned
	// drain, the *DrainTimeoutError; nil for other transitions. It may hold secrets (a DSN, a token in a URL)
	// and its Error method is user code that may panic: an observer that
	// logs it should pass it through [Redact], as NewSlogObserver does.
	Err error
	// Time is when the change happened.
	Time time.Time
}

// slogObserver writes one log line per transition; results are not logged,
// so a probe storm cannot flood the logs.
// The registry's own (reg set) adds the check's owner, runbook and hint to
// the lines of a check's or a drill's transition.
type slogObserver struct {
	log *slog.Logger
	reg *Registry
}

// NewSlogObserver returns an Observer that logs each transition as one
// structured line on l: at Warn level when the new state is a failure
// ("unavailable", "degraded", "open", "half-open", a feature "off"), else
// at Info. The line carries the transition's reason and, under "error",
// the raw error of a check's transition passed through [Redact]: one line,
// at most 1 KiB, with passwords, tokens and URL user info removed, so that
// an operator can tell a failed login from a missing table without
// Options.ExposeErrors. The other fields are logged on one line too,
// non-printable runes as spaces. The registry always installs one on
// Options.Logger; that one also logs the check's Owner, Runbook and Hint
// (as "owner", "runbook", "hint", when set) on the line of a check's or a
// drill's transition, and logs a drill's end at Info.
func NewSlogObserver(l *slog.Logger) Observer {
	if l == nil {
		l = slog.Default()
	}
	return slogObserver{log: l}
}

func (slogObserver) ObserveResult(Result) {}

func (o slogObserver) ObserveTransition(t Transition) {
	if t.Component == "shutdown" {
		return // the shutdown sequence logs its steps itself, with their details
	}
	level := slog.LevelInfo
	switch t.To {
	case "unavailable", "degraded", "open", "half-open", "off":
		level = slog.LevelWarn
	}
	if t.Component == "drill" && t.To == "off" {
		level = slog.LevelInfo // a drill's end is no failure
	}
	// Every field may come from a check's reason or a Notify caller: each
	// goes out one printable line (log/slog's JSON handler would pass C1
	// controls and bidi overrides on to whoever reads the log).
	component, to := oneLine(t.Component), oneLine(t.To)
	attrs := []slog.Attr{
		slog.String("component", component),
		slog.String("name", oneLine(t.Name)),
		slog.String("from", oneLine(t.From)),
		slog.String("to", to),
	}
	if t.Reason != "" {
		attrs = append(attrs, slog.String("reason", oneLine(t.Reason)))
	}
	if t.Err != nil {
		attrs = append(attrs, slog.String("error", redactError(t.Err)))
	}
	attrs = o.operatorAttrs(t, attrs)
	o.log.LogAttrs(context.Background(), level, "probekit: "+component+" "+to, attrs...)
}

// observerEntry is one observer of a registry; faulted is set once one of
// its calls has panicked or called runtime.Goexit and that has been logged;
// removed once AddObserver's remove has been called.
type observerEntry struct {
	o       Observer
	faulted atomic.Bool
	removed atomic.Bool
}

// AddObserver adds o to the observers of r, after those of Options.Observers:
// from the next result or transition on, o is called like them (contained,
// see [Observer]). Modules that are created after the registry (metrics,
// tracing, the gRPC health server) subscribe with it. remove takes o off
// again; it is idempotent, and once it returns o gets no new result or
// transition (a delivery already under way may still reach it, once). A nil
// o is an error.
func (r *Registry) AddObserver(o Observer) (remove func(), err error) {
	if o == nil {
		return nil, errors.New("core: AddObserver: observer is nil")
	}
	e := &observerEntry{o: o}
	r.observeMu.Lock()
	list := append(slices.Clone(*r.observers.Load()), e)
	r.observers.Store(&list)
	r.observeMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			e.removed.Store(true)
			r.observeMu.Lock()
			defer r.observeMu.Unlock()
			list := slices.DeleteFunc(slices.Clone(*r.observers.Load()), func(x *observerEntry) bool { return x == e })
			r.observers.Store(&list)
		})
	}, nil
}
