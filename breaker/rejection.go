package breaker

import "time"

// RejectedError is the error of a call the breaker rejected without making
// it: open, or half-open with HalfOpenRequests trial calls already in
// flight. Do and Call return it, possibly wrapped; find it with
// errors.As. It wraps ErrOpen or ErrTooManyRequests, so errors.Is matches
// those as before, and its text is "breaker <name>: circuit breaker is open"
// (or "... too many requests").
//
// Its methods say why the call was refused, so that a request that failed
// on an open breaker can carry that on its own trace span
// (otelhealth.RecordBreaker reads them through an interface of its own,
// without importing this package). One value is made per breaker and
// reason at New, so a rejection allocates nothing.
type RejectedError struct {
	b     *Breaker
	err   error  // ErrOpen or ErrTooManyRequests
	state string // the state that rejects with err
	text  string // made once: Error is called on the hot path of logging
}

func newRejectedError(b *Breaker, err error, state State) *RejectedError {
	return &RejectedError{b: b, err: err, state: state.String(), text: "breaker " + b.name + ": " + err.Error()}
}

// Error returns "breaker <name>: " followed by the text of ErrOpen or
// ErrTooManyRequests.
func (e *RejectedError) Error() string { return e.text }

// Unwrap returns ErrOpen or ErrTooManyRequests.
func (e *RejectedError) Unwrap() error { return e.err }

// BreakerName returns the name of the breaker that rejected the call.
func (e *RejectedError) BreakerName() string { return e.b.name }

// BreakerState returns the state the breaker rejected the call in: "open"
// (ErrOpen) or "half-open" (ErrTooManyRequests).
func (e *RejectedError) BreakerState() string { return e.state }

// OpenSince returns when the breaker last tripped from closed to open: the
// start of the outage the rejection belongs to, which failed recovery trials
// do not move. It is read when called, so it is zero if the breaker has
// closed since the rejection.
func (e *RejectedError) OpenSince() time.Time {
	e.b.mu.Lock()
	defer e.b.mu.Unlock()
	return e.b.log.openedAt
}
