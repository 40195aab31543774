package core

import (
	"context"
	"log/slog"
	"time"
)

// containedHandler runs a slog.Handler handed over as Options.Logger, which
// is user code like a check: each call is contained (see contain.go) on a
// goroutine of its own, so that a handler that panics or calls
// runtime.Goexit loses its record but never ends a probe, Run, Shutdown or
// a scheduler, and one that blocks is waited for no longer than wait. The
// registry logs transitions, never probes, so the cost of a goroutine per
// call is paid a few times per state change.
type containedHandler struct {
	h    slog.Handler
	wait time.Duration
}

// containLogger returns l with its handler contained, each call waited for
// no longer than wait.
func containLogger(l *slog.Logger, wait time.Duration) *slog.Logger {
	if _, ok := l.Handler().(containedHandler); ok {
		return l
	}
	return slog.New(containedHandler{h: l.Handler(), wait: wait})
}

// call runs fn, a call of the user's handler, contained, and returns its
// value, or zero if it panicked, called runtime.Goexit or outlived c.wait.
// The value travels by channel: a call given up on may still finish later.
func call[T any](c containedHandler, fn func() T) T {
	out := make(chan T, 1)
	ctx, cancel := context.WithTimeout(context.Background(), c.wait)
	defer cancel()
	elsewhere(func() { protect(func() { out <- fn() }, func() {}) }, ctx.Done())
	select {
	case v := <-out:
		return v
	default:
		var zero T
		return zero
	}
}

func (c containedHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return call(c, func() bool { return c.h.Enabled(ctx, level) })
}

func (c containedHandler) Handle(ctx context.Context, rec slog.Record) error {
	return call(c, func() error { return c.h.Handle(ctx, rec) })
}

func (c containedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if h := call(c, func() slog.Handler { return c.h.WithAttrs(attrs) }); h != nil {
		return containedHandler{h: h, wait: c.wait}
	}
	return c
}

func (c containedHandler) WithGroup(name string) slog.Handler {
	if h := call(c, func() slog.Handler { return c.h.WithGroup(name) }); h != nil {
		return containedHandler{h: h, wait: c.wait}
	}
	return c
}
