package otelhealth

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/probekit/probekit/core"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Telemetry reports a registry to OpenTelemetry: a span per check run, a span
// per lifecycle or breaker transition, and the check, lifecycle and breaker
// metrics. Create it with New; Close stops it. It starts no goroutines.
type Telemetry struct {
	remove   func()
	callback metric.Registration
	once     sync.Once
	err      error
}

// New subscribes to h (with h.AddObserver) and reports it through the
// providers of opts. Subscribe before h.Start, so that the first result of
// each check, the change from "unknown", is seen. A nil h, or a meter that
// refuses an instrument, is an error.
//
// The observer runs on the registry's evaluation path, like every observer:
// per result it takes one mutex, records two synchronous instruments with
// attribute sets made once per check, and starts and ends one span; it
// builds the span's attributes only when the span is recording.
func New(h *core.Registry, opts Options) (*Telemetry, error) {
	if h == nil {
		return nil, errors.New("otelhealth: New: registry is nil")
	}
	o, reg, err := newObserver(h, opts)
	if err != nil {
		return nil, err
	}
	remove, err := h.AddObserver(o)
	if err != nil {
		_ = reg.Unregister()
		return nil, err
	}
	return &Telemetry{remove: remove, callback: reg}, nil
}

// Close unsubscribes from the registry and unregisters the metric callback:
// from then on no span is started and the gauges are no longer observed
// (a delivery already under way may still end one span). It is idempotent
// and returns the meter's error, if any, every time.
func (t *Telemetry) Close() error {
	t.once.Do(func() {
		t.remove()
		t.err = t.callback.Unregister()
	})
	return t.err
}

// observer is the core.Observer that New subscribes.
type observer struct {
	h      *core.Registry
	tracer trace.Tracer
	inst   instruments

	// mu guards checks and breakers, and the mutable fields of their
	// entries. The entries' other fields are set once, before they are
	// stored.
	mu       sync.Mutex
	checks   map[string]*checkEntry
	breakers map[string]*breakerEntry
}

// checkEntry is what the observer keeps per check.
type checkEntry struct {
	spanName string
	// spanStart holds the attributes known before a run: name, kind,
	// timeout, critical. A sampler sees them.
	spanStart trace.SpanStartOption
	// byResult holds the measurement options of each run result, indexed
	// by core.Status.
	byResult [3]measureOptions
	// observe labels the check's gauges.
	observe []metric.ObserveOption
	// optional is true for a check registered with Optional (Result.Critical
	// false): its failure reads 0.5 on probekit.check.up.
	optional bool

	// Guarded by observer.mu: the latest result, if seen.
	seen        bool
	status      core.Status
	failures    int
	lastSuccess time.Time
}

// breakerEntry is what the observer keeps per breaker that has reported a
// transition: its state, and the options of the gauge's three series.
type breakerEntry struct {
	state   string // guarded by observer.mu
	byState [len(breakerStates)][]metric.ObserveOption
}

// newObserver makes the observer of h and registers its metric callback.
func newObserver(h *core.Registry, opts Options) (*observer, metric.Registration, error) {
	opts = opts.normalize()
	o := &observer{
		h:        h,
		tracer:   opts.TracerProvider.Tracer(ScopeName),
		checks:   make(map[string]*checkEntry),
		breakers: make(map[string]*breakerEntry),
	}
	reg, err := o.instrument(opts.MeterProvider.Meter(ScopeName))
	if err != nil {
		return nil, nil, err
	}
	return o, reg, nil
}

// ObserveResult reports one run of a check.
func (o *observer) ObserveResult(r core.Result) {
	o.mu.Lock()
	e := o.checks[r.Name]
	if e == nil {
		o.mu.Unlock()
		e = o.entry(r.Name, r.Critical)
		o.mu.Lock()
	}
	from, seen := e.status, e.seen
	e.seen, e.status, e.failures, e.lastSuccess = true, r.Status, r.ConsecutiveFailures, r.LastSuccess
	o.mu.Unlock()

	result := runResult(r.Err)
	o.measure(r, e, result)
	o.checkSpan(r, e, result, from, seen)
}

// ObserveTransition reports a change of the lifecycle, of a breaker or of
// another component as a span of its own. A check's transitions are already
// an event on the span of the run that caused them.
func (o *observer) ObserveTransition(t core.Transition) {
	if t.Component == "check" {
		return
	}
	t.Component, t.Name, t.From, t.To, t.Reason = valid(t.Component), valid(t.Name), valid(t.From), valid(t.To), valid(t.Reason)
	if t.Component == "breaker" {
		o.setBreaker(t.Name, t.To)
	}
	o.transitionSpan(t)
}

// entry makes the entry of the check called name, unless another result
// made it first, and returns the one stored. Called without o.mu: Checks
// copies the registry's list.
func (o *observer) entry(name string, critical bool) *checkEntry {
	e := newCheckEntry(o.h, name, critical)
	o.mu.Lock()
	defer o.mu.Unlock()
	if prev := o.checks[name]; prev != nil {
		return prev
	}
	o.checks[name] = e
	return e
}

// setBreaker records the state of the breaker called name, making its
// entry on its first transition.
// A state that is not a breaker's is ignored, and past maxBreakers a new
// name is too: the breakers kept stay bounded whatever Notify receives.
func (o *observer) setBreaker(name, state string) {
	if !slices.Contains(breakerStates[:], state) {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.breakers[name]
	if b == nil {
		if len(o.breakers) >= maxBreakers {
			return
		}
		b = newBreakerEntry(name)
		o.breakers[name] = b
	}
	b.state = state
}

// maxBreakers bounds the breakers the observer keeps, as promhealth does:
// breakers are declared by the service, so a thousand is a bug (a breaker
// per tenant or per URL), and the gauge stops growing rather than the
// memory and the backend's series.
const maxBreakers = 1000
