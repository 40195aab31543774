package promhealth

import (
	"maps"

	"github.com/prometheus/client_golang/prometheus"
)

// breakerStates are the states a breaker reports (breaker.State's String).
var breakerStates = []string{"closed", "half-open", "open"}

// breakerStats is what the Collector knows of one circuit breaker, fed by
// its transitions (Component "breaker"). Guarded by Collector.mu.
type breakerStats struct {
	state       string
	transitions map[string]uint64 // by state entered
}

// snapshot returns a copy that shares nothing with b.
func (b *breakerStats) snapshot() breakerStats {
	return breakerStats{state: b.state, transitions: maps.Clone(b.transitions)}
}

func (b *breakerStats) collect(d *descs, name string, ch chan<- prometheus.Metric) {
	for _, s := range breakerStates {
		ch <- prometheus.MustNewConstMetric(d.breakerState, prometheus.GaugeValue, boolValue(b.state == s), name, s)
		ch <- prometheus.MustNewConstMetric(d.breakerTransitions, prometheus.CounterValue, float64(b.transitions[s]), name, s)
	}
}
