package core

import "time"

// CheckInfo describes a registered check: what it is, not how it is doing.
// Modules that export per-check state (metrics, dashboards) read it to label
// a check's series with its probes without holding on to the Check itself.
type CheckInfo struct {
	// Name is the check's name.
	Name string
	// Kinds are the probes the check belongs to (after defaults).
	Kinds Kind
	// Optional is true for a check whose failure degrades the service.
	Optional bool
	// Interval is the background period; zero for a check run on demand.
	Interval time.Duration
}

// Checks returns the registered checks, sorted by name. It takes a read
// lock and copies; it never runs a check, so it is safe at scrape time.
func (r *Registry) Checks() []CheckInfo {
	list := r.snapshotChecks()
	out := make([]CheckInfo, len(list))
	for i, s := range list {
		out[i] = CheckInfo{Name: s.check.Name, Kinds: s.check.Kinds, Optional: s.check.Optional, Interval: s.check.Interval}
	}
	return out
}
