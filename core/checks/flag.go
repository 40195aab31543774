package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

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
	reason   string
	withheld error // why reason is not shown; nil when it is
	done     atomic.Bool
}

// NewFlag returns a Flag whose Check fails with reason, such as
// "migrations pending", until Done is called. An empty reason means
// "starting".
//
// The reason is shown to anyone who can reach a probe endpoint. One that
// looks like it holds a credential (user info "@", a URL "://"), holds a
// control character or is longer than 128 bytes is not shown: the Flag
// fails with "starting" instead, and its underlying error says why.
func NewFlag(reason string) *Flag {
	f := &Flag{reason: reason}
	switch {
	case len(reason) > maxNameLen:
		f.withheld = fmt.Errorf("NewFlag reason withheld: longer than %d bytes", maxNameLen)
	case strings.Contains(reason, "://"), strings.Contains(reason, "@"):
		f.withheld = errors.New("NewFlag reason withheld: it looks like it holds a credential (\"@\" or \"://\")")
	case !utf8.ValidString(reason) || strings.ContainsFunc(reason, isControl):
		f.withheld = errors.New("NewFlag reason withheld: invalid UTF-8 or a control character")
	}
	if f.withheld != nil {
		f.reason = ""
	}
	return f
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
	if f.withheld != nil {
		return core.Unhealthy(reason, fmt.Errorf("%w (%w)", errPending, f.withheld))
	}
	return core.Unhealthy(reason, errPending)
}
