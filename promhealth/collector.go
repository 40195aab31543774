package promhealth

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/prometheus/client_golang/prometheus"
)

// Collector is a prometheus.Collector that exports a registry's health:
// per check, its status, latency, runs, failures and last success, its
// owner and runbook (probekit_check_info) and whether it is drilled; per
// process, the lifecycle state, in-flight requests and the shutdown; per
// circuit breaker, its state and transitions; per feature (core.Feature),
// whether it is enabled and whether it is forced. It learns check results and
// transitions as the registry reports them (it is one of its observers) and
// reads the lifecycle state, the in-flight count and the features at scrape
// time: a scrape
// never runs a check, never waits on I/O and takes only short locks.
//
// Series exist for registered checks and for breakers that reported a
// transition, so their number is bounded by what the service declares,
// never by traffic. It is safe for concurrent use.
type Collector struct {
	h      *core.Registry
	opts   Options
	descs  descs
	remove func()

	mu       sync.RWMutex // guards checks, sorted, breakers, shutdown
	checks   map[string]*checkStats
	sorted   []*checkStats // by name, for a stable exposition; copied on write
	breakers map[string]*breakerStats
	shutdown shutdownStats
}

// New returns a Collector for h and subscribes it to h's results and
// transitions. Register it with a prometheus.Registerer; Close unsubscribes
// it. A nil h or a bad option is an error naming it.
//
// Registering the Collector twice, or beside a collector that exports one of
// its metric names with other labels, makes Register return an error
// (prometheus.AlreadyRegisteredError for the former): the metric names are
// fixed, so that dashboards and alerts work for every service.
func New(h *core.Registry, opts Options) (*Collector, error) {
	if h == nil {
		return nil, errors.New("promhealth: New: registry is nil")
	}
	o, err := opts.normalize(h.Service())
	if err != nil {
		return nil, err
	}
	c := &Collector{
		h:        h,
		opts:     o,
		descs:    newDescs(o.ConstLabels),
		checks:   make(map[string]*checkStats),
		breakers: make(map[string]*breakerStats),
	}
	for _, info := range h.Checks() {
		c.addLocked(info)
	}
	remove, err := h.AddObserver(observer{c})
	if err != nil {
		return nil, fmt.Errorf("promhealth: New: %w", err)
	}
	c.remove = remove
	return c, nil
}

// Close stops the Collector from receiving results and transitions; what
// it holds is still exported. It is idempotent.
func (c *Collector) Close() { c.remove() }

// Describe sends the descriptors of every metric the Collector may export.
// The set is fixed, so a registry can check it against other collectors.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) { c.descs.describe(ch) }

// Collect sends the current value of every series. It reads what the
// observers recorded and the registry's atomics; it never runs a check.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	d := &c.descs
	state := c.h.State()
	for _, s := range []core.State{core.StateStarting, core.StateReady, core.StateDraining, core.StateStopped} {
		ch <- prometheus.MustNewConstMetric(d.lifecycle, prometheus.GaugeValue, boolValue(s == state), s.String())
	}
	ch <- prometheus.MustNewConstMetric(d.inflight, prometheus.GaugeValue, float64(c.h.InFlight().Count()))

	// Copy under the lock, send without it: ch is read by the scraping
	// goroutine, and an observer waiting for the lock must not wait for it.
	c.mu.RLock()
	sorted := c.sorted // copied on write by addLocked
	shutdown := c.shutdown
	shutdown.phases = append([]phase(nil), c.shutdown.phases...)
	breakers := make([]namedBreaker, 0, len(c.breakers))
	for name, b := range c.breakers {
		breakers = append(breakers, namedBreaker{name, b.snapshot()})
	}
	c.mu.RUnlock()

	ch <- prometheus.MustNewConstMetric(d.abandoned, prometheus.CounterValue, float64(shutdown.abandoned))
	shutdown.collect(d, ch)
	drills := c.h.Drills() // sorted by check, like sorted; nil when none
	for _, s := range sorted {
		var drill *core.Drill
		for len(drills) > 0 && drills[0].Check < s.name {
			drills = drills[1:]
		}
		if len(drills) > 0 && drills[0].Check == s.name {
			drill = &drills[0]
		}
		s.collect(d, c.opts.Buckets, drill, ch)
	}
	sort.Slice(breakers, func(i, j int) bool { return breakers[i].name < breakers[j].name })
	for _, b := range breakers {
		b.stats.collect(d, b.name, ch)
	}
	collectFeatures(d, c.h, ch)
}

type namedBreaker struct {
	name  string
	stats breakerStats
}

// stats returns the record of the check called name, creating it for a
// check registered after New. Results come from the registry's runs, so
// any name is a check's; a transition of Component "check" can come from
// anyone through Notify, so for a name no registered check has, stats with
// registered true returns nil: the check label's values stay the
// registered names.
func (c *Collector) stats(name string, registered bool) *checkStats {
	c.mu.RLock()
	s := c.checks[name]
	c.mu.RUnlock()
	if s != nil {
		return s
	}
	info := core.CheckInfo{Name: name}
	infos := c.h.Checks()
	if i := slices.IndexFunc(infos, func(i core.CheckInfo) bool { return i.Name == name }); i >= 0 {
		info = infos[i]
	} else if registered {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.checks[name]; s != nil {
		return s
	}
	return c.addLocked(info)
}

// addLocked records a check; c.mu is held for writing (or c is not shared
// yet).
func (c *Collector) addLocked(info core.CheckInfo) *checkStats {
	s := newCheckStats(info, len(c.opts.Buckets), c.opts.ConstLabels)
	c.checks[info.Name] = s
	i := sort.Search(len(c.sorted), func(i int) bool { return c.sorted[i].name >= info.Name })
	// A new slice: Collect reads the old one without the lock.
	c.sorted = slices.Insert(slices.Clone(c.sorted), i, s)
	return s
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// seconds converts a time to the Unix seconds of a _timestamp_seconds gauge.
func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
