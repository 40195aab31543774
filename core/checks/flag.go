package checks

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/probekit/probekit/core"
)

// Flag is a one-shot gate for the startup probe: its Check fails until Done
// is called and passes from then on. Use it for work that must finish before
// the service takes traffic and that no dependency check can observe:
// migrations, cache warm-up, loading a model.
//
// The zero value is ready to use and fails with the reason "starting".
// A Flag is safe for concurrent use; it must not be copied after first use.
type Flag struct {
	reason string
	done   atomic.Bool
}

// NewFlag returns a Flag whose Check fails with reason, such as
// "migrations pending", until Done is called. An empty reason means
// "starting".
func NewFlag(reason string) *Flag {
	return &Flag{reason: reason}
}

// Done opens the gate for good. Calling it again has no effect.
func (f *Flag) Done() { f.done.Store(true) }

// IsDone reports whether Done has been called.
func (f *Flag) IsDone() bool { return f.done.Load() }

// errPending is the underlying error of a closed Flag.
var errPending = errors.New("startup work pending")

// Check is the flag's core.CheckFunc: nil once Done has been called, else a
// failure with the flag's reason. It returns at once and ignores ctx.
func (f *Flag) Check(context.Context) error {
	if f.done.Load() {
		return nil
	}
	reason := f.reason
	if reason == "" {
		reason = "starting"
	}
	return core.Unhealthy(reason, errPending)
}
