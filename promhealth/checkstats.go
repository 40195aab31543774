package promhealth

import (
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/probekit/probekit/core"
	"github.com/prometheus/client_golang/prometheus"
)

// checkStats is what the Collector knows of one check, fed by its results.
type checkStats struct {
	name     string
	kinds    []string // label values of probekit_check_up
	optional bool     // its failure only degrades the service

	// Label sets, built once: per kind for up, check alone, check and
	// result (success, failure) for runs.
	upLabels    []labelSet
	checkLabels labelSet
	runsLabels  [2]labelSet
	infoLabels  labelSet // check, owner, runbook

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

func newCheckStats(info core.CheckInfo, buckets int, constLabels prometheus.Labels) *checkStats {
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
	s := &checkStats{name: info.Name, kinds: kinds, optional: info.Optional, buckets: make([]uint64, buckets+1)}
	for _, k := range kinds {
		s.upLabels = append(s.upLabels, newLabelSet(constLabels, []string{"check", "kind"}, info.Name, k))
	}
	s.checkLabels = newLabelSet(constLabels, []string{"check"}, info.Name)
	s.infoLabels = newLabelSet(constLabels, []string{"check", "owner", "runbook"}, info.Name,
		boundedLabel(info.Owner), boundedLabel(info.Runbook))
	s.runsLabels[0] = newLabelSet(constLabels, []string{"check", "result"}, info.Name, "success")
	s.runsLabels[1] = newLabelSet(constLabels, []string{"check", "result"}, info.Name, "failure")
	return s
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

// collect sends the check's series; drill is the drill in effect on the
// check, or nil. Two allocations for the samples and three for the
// histogram, whatever the number of series: a scrape of 50 checks must
// stay cheap.
func (s *checkStats) collect(d *descs, bounds []float64, drill *core.Drill, ch chan<- prometheus.Metric) {
	h := &histogram{desc: d.duration, labels: s.checkLabels, bounds: bounds, buckets: make([]uint64, len(bounds))}
	out := make([]sample, 0, len(s.kinds)+7)
	out = append(out,
		sample{d.checkInfo, s.infoLabels, prometheus.GaugeValue, 1},
		sample{d.checkDrill, s.checkLabels, prometheus.GaugeValue, boolValue(drill != nil)},
	)
	s.mu.Lock()
	copy(h.buckets, s.buckets)
	h.count, h.sum = s.count, s.sum
	if status := s.status; s.ran || drill != nil {
		if drill != nil {
			// What the check reports, as alerts must see it: the drill's
			// status, or the real one when worse (a drill never hides it).
			status = max(status, drill.Status)
		}
		up := 0.0
		switch {
		case status == core.StatusOK:
			up = 1
		case status == core.StatusDegraded, s.optional:
			// What the check does to its probes: an optional check's
			// failure degrades them, like a Degraded error.
			up = 0.5
		}
		for _, l := range s.upLabels {
			out = append(out, sample{d.up, l, prometheus.GaugeValue, up})
		}
	}
	out = append(out,
		sample{d.runs, s.runsLabels[0], prometheus.CounterValue, float64(s.success)},
		sample{d.runs, s.runsLabels[1], prometheus.CounterValue, float64(s.failure)},
		sample{d.consecutive, s.checkLabels, prometheus.GaugeValue, float64(s.consecutive)},
		sample{d.checkTransitions, s.checkLabels, prometheus.CounterValue, float64(s.transitions)},
	)
	if !s.lastSuccess.IsZero() {
		out = append(out, sample{d.lastSuccess, s.checkLabels, prometheus.GaugeValue, seconds(s.lastSuccess)})
	}
	s.mu.Unlock()
	ch <- h
	for i := range out {
		ch <- &out[i]
	}
}

// maxLabelLen bounds the owner and runbook labels of probekit_check_info;
// core bounds them already (64 and 256 bytes), this guards a future change.
const maxLabelLen = 256

// boundedLabel is v as a label value: valid UTF-8, at most maxLabelLen bytes.
func boundedLabel(v string) string {
	v = labelValue(v)
	if len(v) <= maxLabelLen {
		return v
	}
	n := maxLabelLen
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n]
}
