package promhealth

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// shutdownStats is what the Collector knows of the shutdown sequence, fed
// by lifecycle and shutdown transitions. Guarded by Collector.mu.
//
// Exact today: total, from the lifecycle transition to draining to the one
// to stopped (both carry their time). Phases are reported by transitions
// {Component: "shutdown", Name: <phase>, To: "done"}: each phase lasts from
// the end of the previous one (or the start of draining) to its own time.
// Abandoned requests are counted from {Component: "shutdown", Name:
// "drain", To: "abandoned", Reason: "<n> requests ..."}: see abandonedCount.
type shutdownStats struct {
	draining  time.Time // start of the current shutdown; zero before one
	last      time.Time // end of the last phase reported
	phases    []phase   // in the order reported
	abandoned uint64
}

type phase struct {
	name     string
	duration time.Duration
}

func (s *shutdownStats) start(at time.Time) {
	s.draining, s.last, s.phases = at, at, s.phases[:0]
}

// end records that phase name ended at at; a phase reported again (a new
// shutdown of the same registry cannot happen, but a buggy notifier can)
// keeps its latest duration, so the series stay bounded.
func (s *shutdownStats) end(name string, at time.Time) {
	if s.draining.IsZero() {
		return
	}
	d := at.Sub(s.last)
	if name == "total" {
		d = at.Sub(s.draining)
	} else {
		s.last = at
	}
	for i := range s.phases {
		if s.phases[i].name == name {
			s.phases[i].duration = d
			return
		}
	}
	if len(s.phases) < maxPhases {
		s.phases = append(s.phases, phase{name, d})
	}
}

// maxPhases bounds the phase label's values, whatever transitions arrive.
const maxPhases = 8

func (s *shutdownStats) collect(d *descs, ch chan<- prometheus.Metric) {
	for _, p := range s.phases {
		ch <- prometheus.MustNewConstMetric(d.shutdownPhase, prometheus.GaugeValue, p.duration.Seconds(), p.name)
	}
}
