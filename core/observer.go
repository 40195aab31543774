package core

import (
	"context"
	"log/slog"
	"time"
)

// Observer receives what the registry learns: every check result and every
// transition (a check's status, the lifecycle state, or a component such as a
// circuit breaker). Implementations must be safe for concurrent use and must
// not block: they are called on the evaluation path. Each call is contained:
// a panic or runtime.Goexit abandons that call only (the other observers are
// still called, and the fault is logged once per observer); it never ends a
// probe's or a caller's goroutine.
type Observer interface {
	// ObserveResult is called after every run of a check.
	ObserveResult(r Result)
	// ObserveTransition is called once per change, never per probe.
	ObserveTransition(t Transition)
}

// Transition is a change of state worth one log line.
type Transition struct {
	// Component says what changed: "check", "lifecycle", "breaker", ...
	Component string
	// Name is the check's, breaker's or service's name.
	Name string
	// From and To are the old and new state ("ok", "unavailable", "draining").
	From, To string
	// Reason is a short, secret-free explanation; may be empty.
	Reason string
	// Time is when the change happened.
	Time time.Time
}

// slogObserver writes one log line per transition; results are not logged,
// so a probe storm cannot flood the logs.
type slogObserver struct{ log *slog.Logger }

// NewSlogObserver returns an Observer that logs each transition as one
// structured line on l: at Warn level when the new state is a failure
// ("unavailable", "degraded", "open", "half-open"), else at Info.
// The registry always installs one on Options.Logger.
func NewSlogObserver(l *slog.Logger) Observer {
	if l == nil {
		l = slog.Default()
	}
	return slogObserver{log: l}
}

func (slogObserver) ObserveResult(Result) {}

func (o slogObserver) ObserveTransition(t Transition) {
	level := slog.LevelInfo
	switch t.To {
	case "unavailable", "degraded", "open", "half-open":
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("component", t.Component),
		slog.String("name", t.Name),
		slog.String("from", t.From),
		slog.String("to", t.To),
	}
	if t.Reason != "" {
		attrs = append(attrs, slog.String("reason", t.Reason))
	}
	o.log.LogAttrs(context.Background(), level, "probekit: "+t.Component+" "+t.To, attrs...)
}
