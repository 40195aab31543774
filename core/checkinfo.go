package core

import "time"

// CheckInfo describes a registered check: its name and the policy the
// registry applies to it, defaults filled in. Observers that report more
// than a [Result] holds (the probes a check belongs to, its timeout) read
// it through [Registry.Checks].
type CheckInfo struct {
	// Name is the check's name.
	Name string
	// Kinds are the probes the check belongs to (Readiness by default).
	Kinds Kind
	// Optional is true for a check whose failure only degrades the service.
	Optional bool
	// Timeout bounds one run; Interval is the period of a background check,
	// 0 for one that runs during probes.
	Timeout, Interval time.Duration
	// Owner, Runbook and Hint are the check's fields of those names, empty
	// when not set.
	Owner, Runbook, Hint string
}

// Checks returns the registered checks, sorted by name. The slice is the
// caller's; it is a copy, and later registrations do not change it.
func (r *Registry) Checks() []CheckInfo {
	list := r.snapshotChecks()
	out := make([]CheckInfo, len(list))
	for i, s := range list {
		c := s.check
		out[i] = CheckInfo{Name: c.Name, Kinds: c.Kinds, Optional: c.Optional, Timeout: c.Timeout, Interval: c.Interval,
			Owner: c.Owner, Runbook: c.Runbook, Hint: c.Hint}
	}
	return out
}
