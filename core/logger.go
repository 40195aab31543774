package core

import (
	"context"
	"log/slog"
)

// containedHandler runs a slog.Handler handed over as Options.Logger, which
// is user code like a check: each call is contained (see contain.go) on a
// goroutine of its own, so that a handler that panics or calls
// runtime.Goexit loses its record but never ends a probe, Run, Shutdown or
// a scheduler. The registry logs transitions, never probes, so the cost of
// a goroutine per call is paid a few times per state change.
type containedHandler struct{ h slog.Handler }

// containLogger returns l with its handler contained.
func containLogger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(containedHandler); ok {
		return l
	}
	return slog.New(containedHandler{h: l.Handler()})
}

// contained runs fn, user code, on a goroutine of its own, recovering a
// panic; it returns once fn has returned, panicked or called runtime.Goexit.
func contained(fn func()) {
	elsewhere(func() { protect(fn, func() {}) }, nil)
}

func (c containedHandler) Enabled(ctx context.Context, level slog.Level) bool {
	on := false
	contained(func() { on = c.h.Enabled(ctx, level) })
	return on
}

func (c containedHandler) Handle(ctx context.Context, rec slog.Record) error {
	var err error
	contained(func() { err = c.h.Handle(ctx, rec) })
	return err
}

func (c containedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var h slog.Handler
	contained(func() { h = c.h.WithAttrs(attrs) })
	if h == nil {
		return c
	}
	return containedHandler{h: h}
}

func (c containedHandler) WithGroup(name string) slog.Handler {
	var h slog.Handler
	contained(func() { h = c.h.WithGroup(name) })
	if h == nil {
		return c
	}
	return containedHandler{h: h}
}
