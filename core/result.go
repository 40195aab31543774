package core

import "time"

// Status is the health of a check or of a whole report.
type Status uint8

// The statuses, from best to worst. Their order matters: an aggregate is the
// worst status of its parts.
const (
	// StatusOK means healthy. HTTP 200.
	StatusOK Status = iota
	// StatusDegraded means working with reduced capability: an optional
	// dependency is down, or a check said so through [Degraded]. HTTP 200 by
	// default, 503 with Options.DegradedUnavailable.
	StatusDegraded
	// StatusUnavailable means the service should not receive traffic (for
	// readiness) or should be restarted (for liveness). HTTP 503.
	StatusUnavailable
)

// String returns "ok", "degraded" or "unavailable".
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusDegraded:
		return "degraded"
	case StatusUnavailable:
		return "unavailable"
	}
	return "unknown"
}

// healthJSON returns the IETF health+json name of s: pass, warn or fail.
func (s Status) healthJSON() string {
	switch s {
	case StatusOK:
		return "pass"
	case StatusDegraded:
		return "warn"
	}
	return "fail"
}

// Result is what the registry knows about one check after its latest run.
type Result struct {
	// Name is the check's name.
	Name string
	// Status is the check's reported status after hysteresis: a healthy
	// check is reported failed only after FailureThreshold consecutive
	// failures, and healthy again after SuccessThreshold successes.
	Status Status
	// Message is safe to show to anyone who can reach the probe: empty when
	// healthy, else the reason ("timeout", "connection refused") without the
	// raw error text. See [Unhealthy] for how a check supplies its own.
	Message string
	// Err is the raw error of the latest run, nil on success. It may hold
	// secrets (DSNs, tokens): responses show it only with Options.ExposeErrors.
	// A check's error is read once, when its run ends: Err's Error returns
	// the text read then and never calls the check's error again, while
	// errors.Is and errors.As still reach it. An error whose methods
	// panicked is replaced by one that says so. Compare with errors.Is, not ==.
	Err error
	// Duration is how long the latest run took (up to its timeout).
	Duration time.Duration
	// Time is when the latest run finished; zero if the check never ran.
	Time time.Time
	// LastSuccess is when the check last succeeded; zero if never.
	LastSuccess time.Time
	// ConsecutiveFailures counts failed runs since the last success.
	ConsecutiveFailures int
	// Critical is false for checks registered with Optional.
	Critical bool
	// Drill is set in reports while a drill overrides the check (see
	// [Registry.Drill]): Status and Message are then the drill's (or the
	// real ones when worse: a drill never hides a real failure), and
	// Drill holds the check's real ones. Results passed to observers are
	// the real ones, with Drill nil.
	Drill *DrillOverride
	// Operator is the check's owner, runbook and hint (see [Check]); nil
	// when none is set. Shared: do not modify it.
	Operator *OperatorInfo
}
