package breaker

import (
	"context"
	"time"
)

// SharedState is a breaker's state kept outside the process and shared by
// every replica of a service, so that the fleet learns together that a
// dependency is down and sends it a bounded number of recovery trials.
// Settings.Shared takes one; module breakerredis implements it on Redis.
// The breaker consumes it, so it is defined here, and keeps it free of any
// store.
//
// While Connected reports true the shared state decides: the breaker's own
// (local) state machine is bypassed (one that opened while the store was
// unreachable does not overrule the fleet after it rejoins), Admit says
// whether each call may go through, and State and Check report View. While it reports false (the
// store is unreachable) the breaker runs on its own, as without Settings.Shared.
//
// Implementations must be safe for concurrent use; Admit and Done are on the
// path of every call, so in the closed state they must neither block nor
// allocate.
type SharedState interface {
	// Admit decides a call before it is made. It may block only to claim a
	// recovery trial, and then for a bounded time (ctx bounds it too). Its
	// ticket, given back to Done, tells that call apart from the others in
	// flight (the claim of a trial is the claim of one call).
	Admit(ctx context.Context) (a Admission, ticket uint64)
	// Done reports the outcome of a call that Admit let through, with the
	// admission and ticket Admit returned for it.
	Done(a Admission, ticket uint64, o Outcome, reason string)
	// Connected reports whether the shared state is reachable (shared mode)
	// rather than the breaker running on its own (local mode).
	Connected() bool
	// View returns the shared state as last known.
	View() SharedView
}

// Admission is SharedState's decision about one call.
type Admission uint8

// The admissions.
const (
	// AdmitLocal: the shared state has no objection: connected, the call
	// goes through; otherwise the breaker's own state machine decides.
	AdmitLocal Admission = iota
	// AdmitTrial: the call is one of the fleet's recovery trials.
	AdmitTrial
	// RejectOpen: the shared breaker is open; fail with ErrOpen.
	RejectOpen
	// RejectBusy: the fleet's trials are all in flight; fail with
	// ErrTooManyRequests.
	RejectBusy
)

// Outcome is how an admitted call ended, as the breaker judged it.
type Outcome uint8

// The outcomes.
const (
	// Succeeded: the call, or IsSuccessful, says the dependency works.
	Succeeded Outcome = iota
	// Failed: the call failed (or panicked).
	Failed
	// Excluded: the call's context was canceled; it says nothing.
	Excluded
	// NotRun: the breaker's own state machine rejected the call.
	NotRun
)

// SharedView is the shared state of a breaker as one replica last saw it.
type SharedView struct {
	// State is closed, open, or half-open once the open timeout has passed.
	State State
	// Since is when State was entered, on this replica's clock.
	Since time.Time
	// OpenedAt is when the fleet's breaker tripped from closed; zero
	// while closed.
	OpenedAt time.Time
	// TripFailures is the fleet-wide consecutive failures that tripped it.
	TripFailures int
	// FailedTrials counts recovery trials that failed since OpenedAt.
	FailedTrials int
	// Reason is core.Reason of the failure that tripped or re-opened it.
	Reason string
}
