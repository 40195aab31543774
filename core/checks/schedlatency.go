package checks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"

	"github.com/probekit/probekit/core"
)

// schedLatencyMetric is the runtime's cumulative histogram of the time
// goroutines spent runnable before they ran.
const schedLatencyMetric = "/sched/latencies:seconds"

// SchedulerLatencyOptions configures [SchedulerLatency]. The zero value
// means every default: p99 over the last 30s, degraded above 50ms,
// unavailable above 250ms.
type SchedulerLatencyOptions struct {
	// Percentile is the share of scheduling latencies compared with the
	// thresholds, in (0, 1]: 0.99 compares the 99th percentile. Default:
	// 0.99.
	Percentile float64

	// DegradedAbove is the latency at Percentile above which the check
	// reports degraded: the pod stays in rotation (unless
	// core.Options.DegradedUnavailable) and the report says why. Default:
	// 50ms. Must be below UnavailableAbove.
	DegradedAbove time.Duration

	// UnavailableAbove is the latency at Percentile above which the check
	// fails. Default: 250ms.
	UnavailableAbove time.Duration

	// Window is how far back the latencies count: each call compares the
	// runtime's histogram now with the one it kept from about Window ago,
	// so a starved minute shows for about Window and then clears. Default:
	// 30s. Call the check at least every Window/8 (a background check with
	// Interval below that, or probes as often) for the window to be Window
	// to within an eighth; called less often, it spans back to the previous
	// call. Until the check has run for Window, it covers the time since
	// its construction.
	Window time.Duration

	// MinEvents is the fewest scheduling events (the runtime samples about
	// one goroutine switch in eight) that the window must hold for a
	// percentile to be taken: with fewer, the check passes, since a
	// percentile of a handful of events says nothing. Default: 20.
	MinEvents uint64
}

// The defaults of SchedulerLatencyOptions.
const (
	defaultSchedPercentile  = 0.99
	defaultSchedDegraded    = 50 * time.Millisecond
	defaultSchedUnavailable = 250 * time.Millisecond
	defaultSchedWindow      = 30 * time.Second
	defaultSchedMinEvents   = 20
)

// schedSteps is how many steps the window moves in: a snapshot is kept at
// most every Window/schedSteps, and one more than schedSteps are kept so
// that one at least Window old is among them.
const (
	schedSteps     = 8
	schedSnapshots = schedSteps + 1
)

// SchedulerLatency returns a check of the process's responsiveness, the Go
// analogue of an event loop's lag: how long goroutines wait, runnable,
// before the scheduler runs them (the runtime/metrics histogram
// "/sched/latencies:seconds"). A healthy process schedules in microseconds;
// milliseconds mean its goroutines are starved: a CPU quota throttling the
// container, a runaway loop, GOMAXPROCS above the CPUs it really gets.
// Requests then queue behind the scheduler whatever their handlers do.
//
// The check takes the percentile of the latencies of about the last
// Window (the difference of the runtime's cumulative histograms) and
// reports degraded above DegradedAbove, unavailable above UnavailableAbove.
// The latency it reports is the lower bound of the histogram bucket that
// holds the percentile (buckets are a few percent wide), so it never
// overstates. Failures read "scheduler p99 latency 312ms over 250ms".
//
// Register it as a readiness check, usually Optional or relying on the
// degraded threshold, with an Interval (a background check): a starved
// process is better out of rotation than restarted, and a liveness restart
// cannot fix a throttled CPU quota. A call reads one runtime metric,
// without stopping the world or allocating; the returned function is safe
// for concurrent use.
//
// SchedulerLatency returns an error naming the field for a Percentile
// outside (0, 1], a negative duration or DegradedAbove not below
// UnavailableAbove, and an error if the Go runtime does not provide the
// metric.
func SchedulerLatency(opts SchedulerLatencyOptions) (core.CheckFunc, error) {
	s, err := newSchedLatency(opts, time.Now)
	if err != nil {
		return nil, err
	}
	return s.check, nil
}

// schedLatency is the state of one SchedulerLatency check.
type schedLatency struct {
	opts  SchedulerLatencyOptions
	label string // "p99"
	now   func() time.Time

	mu      sync.Mutex // guards the rest
	sample  []metrics.Sample
	bounds  []float64 // bucket boundaries: the runtime's, the same on every read
	cur     []uint64  // the histogram just read
	diff    []uint64  // cur minus the window's base
	snaps   [schedSnapshots]schedSnapshot
	newest  int // index of the newest snapshot in snaps
	stored  int // how many of snaps hold a histogram
	minStep time.Duration
}

// schedSnapshot is the cumulative histogram at a time.
type schedSnapshot struct {
	at     time.Time
	counts []uint64
}

func newSchedLatency(opts SchedulerLatencyOptions, now func() time.Time) (*schedLatency, error) {
	switch {
	case opts.Percentile < 0 || opts.Percentile > 1 || math.IsNaN(opts.Percentile):
		return nil, fmt.Errorf("checks: SchedulerLatency: Percentile must be in (0, 1], got %v", opts.Percentile)
	case opts.DegradedAbove < 0:
		return nil, fmt.Errorf("checks: SchedulerLatency: DegradedAbove is negative (%v)", opts.DegradedAbove)
	case opts.UnavailableAbove < 0:
		return nil, fmt.Errorf("checks: SchedulerLatency: UnavailableAbove is negative (%v)", opts.UnavailableAbove)
	case opts.Window < 0:
		return nil, fmt.Errorf("checks: SchedulerLatency: Window is negative (%v)", opts.Window)
	}
	if opts.Percentile == 0 {
		opts.Percentile = defaultSchedPercentile
	}
	if opts.DegradedAbove == 0 {
		opts.DegradedAbove = defaultSchedDegraded
	}
	if opts.UnavailableAbove == 0 {
		opts.UnavailableAbove = defaultSchedUnavailable
	}
	if opts.Window == 0 {
		opts.Window = defaultSchedWindow
	}
	if opts.MinEvents == 0 {
		opts.MinEvents = defaultSchedMinEvents
	}
	if opts.DegradedAbove >= opts.UnavailableAbove {
		return nil, fmt.Errorf("checks: SchedulerLatency: DegradedAbove (%v) must be below UnavailableAbove (%v)", opts.DegradedAbove, opts.UnavailableAbove)
	}
	s := &schedLatency{
		opts:    opts,
		label:   "p" + percentText(opts.Percentile),
		now:     now,
		sample:  []metrics.Sample{{Name: schedLatencyMetric}},
		minStep: opts.Window / schedSteps,
	}
	metrics.Read(s.sample)
	if s.sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil, errors.New("checks: SchedulerLatency: the Go runtime does not provide " + schedLatencyMetric)
	}
	h := s.sample[0].Value.Float64Histogram()
	s.bounds = h.Buckets
	s.cur = make([]uint64, len(h.Counts))
	s.diff = make([]uint64, len(h.Counts))
	for i := range s.snaps {
		s.snaps[i].counts = make([]uint64, len(h.Counts))
	}
	// The first snapshot, so that the first call has a base.
	s.snaps[0].at = now()
	copy(s.snaps[0].counts, h.Counts)
	s.stored = 1
	return s, nil
}

// check is the core.CheckFunc. It ignores ctx: it returns at once.
func (s *schedLatency) check(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	// Read reuses the histogram the sample already holds; it is copied at
	// once, since the next Read overwrites it.
	metrics.Read(s.sample)
	h := s.sample[0].Value.Float64Histogram()
	if len(h.Counts) != len(s.cur) {
		return core.Unhealthy("scheduler latency: cannot read runtime metrics",
			fmt.Errorf("runtime metric %s changed shape: %d buckets, was %d", schedLatencyMetric, len(h.Counts), len(s.cur)))
	}
	copy(s.cur, h.Counts)

	base := s.base(now)
	var total uint64
	for i, c := range s.cur {
		d := c - base.counts[i] // cumulative counts never decrease
		s.diff[i] = d
		total += d
	}
	span := now.Sub(base.at)
	s.keep(now)
	if total < s.opts.MinEvents {
		return nil
	}
	latency := s.percentile(total)
	var limit time.Duration
	switch {
	case latency > s.opts.UnavailableAbove:
		limit = s.opts.UnavailableAbove
	case latency > s.opts.DegradedAbove:
		limit = s.opts.DegradedAbove
	default:
		return nil
	}
	reason := fmt.Sprintf("scheduler %s latency %v over %v", s.label, roundLatency(latency), limit)
	err := fmt.Errorf("scheduler latency: %s at least %v over %v: %d scheduling events in the last %v",
		s.label, latency, limit, total, span.Round(time.Millisecond))
	if limit == s.opts.UnavailableAbove {
		return core.Unhealthy(reason, err)
	}
	return core.Degraded(reason, err)
}

// base returns the snapshot the window starts at: the newest one at least
// Window old, else the oldest. s.mu is held.
func (s *schedLatency) base(now time.Time) *schedSnapshot {
	cutoff := now.Add(-s.opts.Window)
	for k := range s.stored { // newest first
		i := (s.newest - k + schedSnapshots) % schedSnapshots
		if !s.snaps[i].at.After(cutoff) {
			return &s.snaps[i]
		}
	}
	return &s.snaps[(s.newest-s.stored+1+schedSnapshots)%schedSnapshots]
}

// keep stores the histogram just read as the newest snapshot, over the
// oldest, if the newest is at least Window/schedSteps old. s.mu is held.
func (s *schedLatency) keep(now time.Time) {
	if now.Sub(s.snaps[s.newest].at) < s.minStep {
		return
	}
	s.newest = (s.newest + 1) % schedSnapshots
	s.snaps[s.newest].at = now
	copy(s.snaps[s.newest].counts, s.cur)
	s.stored = min(s.stored+1, schedSnapshots)
}

// percentile returns the lower bound of the bucket of s.diff that holds
// the percentile of total events. s.mu is held.
func (s *schedLatency) percentile(total uint64) time.Duration {
	// The epsilon keeps float noise (0.07 × 100 is 7.000000000000001) from
	// moving the rank up by one.
	rank := uint64(math.Ceil(s.opts.Percentile*float64(total) - 1e-9))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range s.diff {
		seen += c
		if seen >= rank {
			lower := s.bounds[i]
			if lower <= 0 || math.IsInf(lower, 0) {
				return 0
			}
			return time.Duration(lower * float64(time.Second))
		}
	}
	return 0
}

// roundLatency rounds a latency for a reason: milliseconds from 10ms on,
// tenths of a millisecond from 1ms, else microseconds.
func roundLatency(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// percentText renders a fraction as a percentage without float noise:
// 0.99 is "99", 0.999 is "99.9", 0.5 is "50".
func percentText(f float64) string {
	return strconv.FormatFloat(math.Round(f*1e6)/1e4, 'f', -1, 64)
}
