package promhealth

import (
	"sort"
	"sync"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/prometheus/client_golang/prometheus"
)

// checkStats is what the Collector knows of one check, fed by its results.
type checkStats struct {
	name     string
	kinds    []string // label values of probekit_check_up
	optional bool     // its failure only degrades the service

	mu          sync.Mutex // guards the fields below
	ran         bool
	status      core.Status
	success     uint64
	failure     uint64
	consecutive int
	lastSuccess time.Time
	transitions uint64
	count       uint64
	sum         float64
	buckets     []uint64 // per bucket, not cumulative; the last is +Inf
}

func newCheckStats(info core.CheckInfo, buckets int) *checkStats {
	var kinds []string
	for _, k := range []struct {
		kind core.Kind
		name string
	}{{core.Liveness, "liveness"}, {core.Readiness, "readiness"}, {core.Startup, "startup"}} {
		if info.Kinds&k.kind != 0 {
			kinds = append(kinds, k.name)
		}
	}
	if len(kinds) == 0 { // a result for a check Checks did not list: it cannot say
		kinds = []string{"unknown"}
	}
	return &checkStats{name: info.Name, kinds: kinds, optional: info.Optional, buckets: make([]uint64, buckets+1)}
}

// observe records one run. It allocates nothing: a check may run on every
// probe.
func (s *checkStats) observe(r *core.Result, bounds []float64) {
	d := r.Duration.Seconds()
	i := sort.SearchFloat64s(bounds, d) // the first bound >= d, len(bounds) for +Inf
	s.mu.Lock()
	s.ran = true
	s.status = r.Status
	if r.Err == nil {
		s.success++
	} else {
		s.failure++
	}
	s.consecutive = r.ConsecutiveFailures
	s.lastSuccess = r.LastSuccess
	s.count++
	s.sum += d
	s.buckets[i]++
	s.mu.Unlock()
}

func (s *checkStats) transition() {
	s.mu.Lock()
	s.transitions++
	s.mu.Unlock()
}

func (s *checkStats) collect(d *descs, bounds []float64, ch chan<- prometheus.Metric) {
	s.mu.Lock()
	ran, status, success, failure := s.ran, s.status, s.success, s.failure
	consecutive, lastSuccess, transitions := s.consecutive, s.lastSuccess, s.transitions
	count, sum := s.count, s.sum
	cumulative := make(map[float64]uint64, len(bounds))
	var acc uint64
	for i, b := range bounds {
		acc += s.buckets[i]
		cumulative[b] = acc
	}
	s.mu.Unlock()

	if ran {
		up := 0.0
		switch {
		case status == core.StatusOK:
			up = 1
		case status == core.StatusDegraded, s.optional:
			// What the check does to its probes: an optional check's
			// failure degrades them, like a Degraded error.
			up = 0.5
		}
		for _, k := range s.kinds {
			ch <- prometheus.MustNewConstMetric(d.up, prometheus.GaugeValue, up, s.name, k)
		}
	}
	ch <- prometheus.MustNewConstHistogram(d.duration, count, sum, cumulative, s.name)
	ch <- prometheus.MustNewConstMetric(d.runs, prometheus.CounterValue, float64(success), s.name, "success")
	ch <- prometheus.MustNewConstMetric(d.runs, prometheus.CounterValue, float64(failure), s.name, "failure")
	ch <- prometheus.MustNewConstMetric(d.consecutive, prometheus.GaugeValue, float64(consecutive), s.name)
	if !lastSuccess.IsZero() {
		ch <- prometheus.MustNewConstMetric(d.lastSuccess, prometheus.GaugeValue, seconds(lastSuccess), s.name)
	}
	ch <- prometheus.MustNewConstMetric(d.checkTransitions, prometheus.CounterValue, float64(transitions), s.name)
}
