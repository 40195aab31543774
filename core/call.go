package core

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// run is one call of a check function, shared by every evaluation that
// joins it. It is also the context the check function gets: a context whose
// deadline is the call's, that carries the values of the context it was
// started under, and that is cancelled at the deadline or when the call
// returns, whichever comes first.
//
// The cancellation machinery (a context.WithDeadline, with its timer) is
// made only when the function first asks for it, through Done, Err or
// AfterFunc: a check that returns without looking at its context (an
// in-memory flag, a counter) costs no timer and no allocation besides the
// run itself. A run is never reused, so a context kept by user code past the
// call stays valid.
type run struct {
	s          *checkState
	parent     context.Context // values; for a background call, cancellation and deadline too
	deadline   time.Time
	background bool        // a scheduler's call, which stops with parent; a probe's ignores parent's end
	claimed    atomic.Bool // a worker has taken the call: it is made exactly once
	next       *run        // the next call of the evaluation's batch (see pending), or nil

	// Guarded by checkState.mu.
	recorded bool      // result holds the run's outcome
	returned bool      // the function returned and its outcome is recorded: only observers remain
	done     bool      // the run is over: waiters read result (see checkState.release)
	result   Result    //
	counted  time.Time // when a stuck-call failure was last counted
	waiters  []*waiter // evaluations waiting for the run, told when it is done
	first    [1]*waiter

	ctxMu  sync.Mutex         // guards the fields below
	inner  context.Context    // the cancellation machinery, once asked for
	cancel context.CancelFunc // inner's
	ended  bool               // the call returned: inner is made cancelled
}

// claim reports whether the caller takes the call: true exactly once.
func (r *run) claim() bool {
	return !r.claimed.Load() && r.claimed.CompareAndSwap(false, true)
}

// Deadline returns the call's deadline, or a background call's parent's if
// that is earlier.
func (r *run) Deadline() (time.Time, bool) {
	if !r.background {
		return r.deadline, true
	}
	if d, ok := r.parent.Deadline(); ok && d.Before(r.deadline) {
		return d, true
	}
	return r.deadline, true
}

// Done returns a channel closed at the call's deadline, when the call
// returns, or (for a background call) when the registry stops.
func (r *run) Done() <-chan struct{} { return r.ctx().Done() }

// Err returns why Done was closed, or nil.
func (r *run) Err() error { return r.ctx().Err() }

// Value returns the parent's value of key. The context package's own key,
// with which it finds the cancellation of a context (context.Cause, and
// contexts derived from the call, which then attach to it without a
// goroutine of their own), is answered by the call's cancellation
// machinery, never by a probe's request: a call outlives its request.
func (r *run) Value(key any) any {
	if key == cancelCtxKey {
		return r.ctx().Value(key)
	}
	return r.parent.Value(key)
}

// cancelCtxKey is the key with which the context package asks a context
// for its cancellation (unexported there): learned once, by asking
// context.Cause about a cancelled context that records the key it is asked
// for (Cause asks for it only once Err says the context ended).
var cancelCtxKey = func() any {
	var k keyRecorder
	_ = context.Cause(&k)
	return k.key
}()

// keyRecorder is an ended context that remembers the last key asked of it.
type keyRecorder struct {
	context.Context // nil: only Value and Err are called
	key             any
}

func (k *keyRecorder) Value(key any) any { k.key = key; return nil }

func (k *keyRecorder) Err() error { return context.Canceled }

// AfterFunc arranges for f to run when the call's context is done, as
// context.AfterFunc does; contexts derived from the call use it to follow
// its cancellation without a goroutine of their own.
func (r *run) AfterFunc(f func()) (stop func() bool) { return context.AfterFunc(r.ctx(), f) }

// ctx returns the cancellation machinery, making it on first use: already
// cancelled when the call has returned, already expired past the deadline.
func (r *run) ctx() context.Context {
	r.ctxMu.Lock()
	defer r.ctxMu.Unlock()
	if r.inner == nil {
		parent := r.parent
		if !r.background {
			parent = context.WithoutCancel(parent)
		}
		r.inner, r.cancel = context.WithDeadline(parent, r.deadline)
		if r.ended {
			r.cancel()
		}
	}
	return r.inner
}

// end cancels the call's context: the call has returned.
func (r *run) end() {
	r.ctxMu.Lock()
	defer r.ctxMu.Unlock()
	r.ended = true
	if r.cancel != nil {
		r.cancel()
	}
}

// String names the context for fmt, as the standard contexts do.
func (r *run) String() string { return "probekit check call context" }
