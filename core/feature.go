package core

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FeatureOptions configures a [Feature]; see [Registry.Feature].
type FeatureOptions struct {
	// Name identifies the feature in reports, metrics, logs and the admin
	// handler. Required; letters, digits and "-_.:", at most 128 bytes;
	// unique among the registry's features (a check may have the same name).
	Name string

	// Checks are the names of the registered checks the feature follows:
	// it is off while any of them is unavailable (or has not run yet). A
	// circuit breaker is followed through its breaker-state check
	// (breaker.Breaker.Check, registered under a name of your choice): an
	// open breaker is unavailable, so the feature is off; a half-open one
	// is degraded. At least one; each must be registered before the
	// feature is created.
	Checks []string

	// OffWhenDegraded turns the feature off while any followed check is
	// degraded too, not only while one is unavailable.
	OffWhenDegraded bool
}

// MaxForceDuration bounds every force of a feature: an operator's decision
// lasts the length of an incident, then health decides again.
const MaxForceDuration = 24 * time.Hour

// Bounds on the operator's text that a force carries into logs and reports.
const (
	maxActorLen       = 64
	maxForceReasonLen = 256
)

// ForceOptions is an operator's decision to force a feature on or off; see
// [Feature.Force].
type ForceOptions struct {
	// On is the forced state: true forces the feature on, false off.
	On bool
	// Duration is how long the force lasts: > 0 and at most
	// MaxForceDuration. Then the feature follows its checks again by itself.
	Duration time.Duration
	// Actor says who forces: a user name, a ticket. Required, at most 64
	// bytes; logged and shown in reports (escaped).
	Actor string
	// Reason says why, for whoever reads the report or the log during the
	// incident. Optional, at most 256 bytes; passed through [Redact] before
	// it is stored, since reports are public.
	Reason string
}

// FeatureForce is a force in effect.
type FeatureForce struct {
	// On is the forced state.
	On bool
	// Actor and Reason are those of the ForceOptions (Reason redacted).
	Actor, Reason string
	// Since is when the force began, Until when it ends.
	Since, Until time.Time
}

// FeatureState is a feature's state and why, as reports show it.
type FeatureState struct {
	// Name is the feature's name.
	Name string
	// Enabled is what [Feature.Enabled] answers.
	Enabled bool
	// Why explains Enabled in one line: "checks ok", `check "db" is
	// unavailable`, or "forced off by alice until 2026-01-02T15:04:05Z:
	// reason".
	Why string
	// Healthy is what the followed checks alone say, forced or not.
	Healthy bool
	// Checks are the names of the followed checks, in the order given.
	Checks []string
	// OffWhenDegraded is the option of that name.
	OffWhenDegraded bool
	// Forced is the force in effect, nil when the feature follows its
	// checks.
	Forced *FeatureForce
	// Since is when Enabled last changed (or the feature was created).
	Since time.Time
}

// Feature is an optional capability of the service that is usable only
// while the checks it follows are healthy, such as recommendations that
// need a cache, or uploads that need object storage. Application code asks
// [Feature.Enabled] on its hot path and degrades instead of failing.
//
// Its state is updated as the registry records results, by whatever runs
// the checks (a background schedule, a probe, Evaluate): no goroutine polls.
// Until a followed synchronous check has run, the feature is off, like
// readiness. An operator may force it on or off for a bounded time
// ([Feature.Force], or the admin handler); each change of Enabled reaches
// the observers as a Transition with Component "feature", From and To "on"
// or "off". A force, its clearing and its end reach observers in that
// order; a change from a check's result made at the same moment as one of
// those may reach them before or after it, while State and Enabled are
// always current. A Feature is safe for concurrent use.
type Feature struct {
	reg             *Registry
	name            string
	follows         []*checkState
	offWhenDegraded bool

	on   atomic.Bool                  // the hot path: Enabled
	view atomic.Pointer[FeatureState] // what reports show; replaced, never changed

	mu    sync.Mutex // guards force, timer, seq, pending, delivering and the updating of on and view
	force *FeatureForce
	timer *time.Timer // ends force
	seq   uint64      // counts forces, so that a stale timer ends nothing

	// pending are the transitions of the operator's changes (force, clear,
	// expiry) not yet delivered, in the order of the changes; one caller at
	// a time (delivering) delivers them, without holding a lock, so that a
	// force's end never reaches observers before its start and an observer
	// may force or clear the feature it is told of.
	pending    []Transition
	delivering bool
}

// featureSet holds a registry's features. Its zero value is empty.
type featureSet struct {
	mu     sync.Mutex                 // serializes additions
	list   atomic.Pointer[[]*Feature] // by name; copied on write
	closed atomic.Bool                // the registry closed: no more forces
}

// close stops the features' force timers, so that no force ends (and
// reaches the observers) after the registry closed, and refuses forces from
// now on. A Force that checked closed before it was set holds f.mu until its
// timer is set, so the loop below stops that timer too.
func (fs *featureSet) close() {
	fs.closed.Store(true)
	p := fs.list.Load()
	if p == nil {
		return
	}
	for _, f := range *p {
		f.mu.Lock()
		f.seq++ // a timer firing now ends nothing
		if f.timer != nil {
			f.timer.Stop()
			f.timer = nil
		}
		f.mu.Unlock()
	}
}

// Errors about features; test with errors.Is.
var (
	// ErrInvalidFeature is wrapped by every error about bad FeatureOptions.
	ErrInvalidFeature = errors.New("invalid feature")
	// ErrInvalidForce is wrapped by every error about bad ForceOptions.
	ErrInvalidForce = errors.New("invalid force")
)

// Feature creates a feature that follows the checks named in opts. It
// returns an error wrapping ErrInvalidFeature, and creates nothing, for an
// empty, malformed or duplicate name, no checks, or a check name that is not
// registered (the error names it). The feature's initial state comes from
// the checks' latest results.
func (r *Registry) Feature(opts FeatureOptions) (*Feature, error) {
	switch {
	case opts.Name == "":
		return nil, fmt.Errorf("core: feature: %w: Name is empty", ErrInvalidFeature)
	case !validName(opts.Name):
		return nil, fmt.Errorf("core: feature %s: %w: Name may only hold letters, digits and -_.: (at most 128 bytes)", quote(opts.Name), ErrInvalidFeature)
	case len(opts.Checks) == 0:
		return nil, fmt.Errorf("core: feature %q: %w: Checks is empty", opts.Name, ErrInvalidFeature)
	}
	f := &Feature{reg: r, name: opts.Name, offWhenDegraded: opts.OffWhenDegraded}
	for i, name := range opts.Checks {
		s := r.lookup(name)
		if s == nil {
			return nil, fmt.Errorf("core: feature %q: %w: Checks[%d]: no check named %s", opts.Name, ErrInvalidFeature, i, quote(name))
		}
		if slices.Contains(f.follows, s) {
			return nil, fmt.Errorf("core: feature %q: %w: Checks[%d]: %q is listed twice", opts.Name, ErrInvalidFeature, i, name)
		}
		f.follows = append(f.follows, s)
	}

	r.features.mu.Lock()
	defer r.features.mu.Unlock()
	var list []*Feature
	if p := r.features.list.Load(); p != nil {
		list = *p
	}
	i, dup := slices.BinarySearchFunc(list, f.name, func(x *Feature, name string) int { return strings.Compare(x.name, name) })
	if dup {
		return nil, fmt.Errorf("core: feature %q: %w: a feature with that name exists", f.name, ErrInvalidFeature)
	}
	// Follow first, then compute: a result recorded in between updates the
	// feature, and the computation below reads it too.
	for _, s := range f.follows {
		s.follow(f)
	}
	f.mu.Lock()
	f.update(r.now())
	f.mu.Unlock()
	list = slices.Insert(slices.Clone(list), i, f)
	r.features.list.Store(&list)
	r.gen.Add(1)
	return f, nil
}

// Features returns the registry's features, sorted by name.
func (r *Registry) Features() []*Feature {
	if p := r.features.list.Load(); p != nil {
		return slices.Clone(*p)
	}
	return nil
}

// LookupFeature returns the feature called name, or nil.
func (r *Registry) LookupFeature(name string) *Feature {
	p := r.features.list.Load()
	if p == nil {
		return nil
	}
	i, ok := slices.BinarySearchFunc(*p, name, func(x *Feature, name string) int { return strings.Compare(x.name, name) })
	if !ok {
		return nil
	}
	return (*p)[i]
}

// featureStates returns the state of every feature, nil when there is none.
func (r *Registry) featureStates() []FeatureState {
	p := r.features.list.Load()
	if p == nil || len(*p) == 0 {
		return nil
	}
	out := make([]FeatureState, len(*p))
	for i, f := range *p {
		out[i] = *f.view.Load()
	}
	return out
}

// Enabled reports whether the feature is usable now: one atomic load, no
// allocation, no lock. A nil *Feature is disabled.
func (f *Feature) Enabled() bool { return f != nil && f.on.Load() }

// Name returns the feature's name.
func (f *Feature) Name() string { return f.name }

// State returns the feature's state and why. The Checks slice is shared:
// do not modify it.
func (f *Feature) State() FeatureState { return *f.view.Load() }

// Force forces the feature on or off for opts.Duration, then it follows its
// checks again by itself. A force replaces any force in effect. It is
// logged on the registry's Logger (who, what, how long, why) and a change
// of Enabled reaches the observers (an observer may itself force or clear
// the feature: its change is delivered after). Bad options are an error wrapping
// ErrInvalidForce that names the field, and change nothing; after the
// registry's Close, Force returns an error wrapping ErrClosed (Close stops
// the timers of the forces in effect: they stay in effect, ending never).
func (f *Feature) Force(opts ForceOptions) error {
	switch {
	case opts.Duration <= 0:
		return fmt.Errorf("core: force %q: %w: Duration must be > 0, got %v", f.name, ErrInvalidForce, opts.Duration)
	case opts.Duration > MaxForceDuration:
		return fmt.Errorf("core: force %q: %w: Duration %v is over the maximum %v", f.name, ErrInvalidForce, opts.Duration, MaxForceDuration)
	case strings.TrimSpace(opts.Actor) == "":
		return fmt.Errorf("core: force %q: %w: Actor is empty", f.name, ErrInvalidForce)
	case len(opts.Actor) > maxActorLen:
		return fmt.Errorf("core: force %q: %w: Actor is longer than %d bytes", f.name, ErrInvalidForce, maxActorLen)
	case len(opts.Reason) > maxForceReasonLen:
		return fmt.Errorf("core: force %q: %w: Reason is longer than %d bytes", f.name, ErrInvalidForce, maxForceReasonLen)
	}
	now := f.reg.now()
	force := &FeatureForce{
		On:     opts.On,
		Actor:  oneLine(opts.Actor),
		Reason: Redact(opts.Reason),
		Since:  now,
		Until:  now.Add(opts.Duration),
	}
	f.mu.Lock()
	if f.reg.features.closed.Load() {
		f.mu.Unlock()
		return fmt.Errorf("core: force %q: %w", f.name, ErrClosed)
	}
	f.seq++
	seq := f.seq
	if f.timer != nil {
		f.timer.Stop()
	}
	f.force = force
	f.timer = time.AfterFunc(opts.Duration, func() { f.expire(seq) })
	f.queue(f.update(now))
	f.mu.Unlock()

	f.reg.opts.Logger.Warn("probekit: feature "+f.name+" forced "+onOff(force.On),
		"feature", f.name, "actor", force.Actor, "forced", onOff(force.On),
		"for", opts.Duration.String(), "until", force.Until.UTC().Format(time.RFC3339), "reason", oneLine(force.Reason))
	f.flush()
	return nil
}

// ClearForce ends the force in effect, if any, on behalf of actor (logged),
// and reports whether there was one. The feature follows its checks again.
func (f *Feature) ClearForce(actor string) bool {
	if len(actor) > maxActorLen {
		actor = actor[:maxActorLen]
	}
	f.mu.Lock()
	if f.force == nil {
		f.mu.Unlock()
		return false
	}
	f.seq++
	if f.timer != nil { // nil after Close
		f.timer.Stop()
	}
	f.force, f.timer = nil, nil
	f.queue(f.update(f.reg.now()))
	f.mu.Unlock()
	f.reg.opts.Logger.Info("probekit: feature "+f.name+" force cleared", "feature", f.name, "actor", oneLine(actor))
	f.flush()
	return true
}

// expire ends force number seq when its time is up, unless another force
// or a clear replaced it meanwhile. It runs on the timer's goroutine.
func (f *Feature) expire(seq uint64) {
	f.mu.Lock()
	if f.seq != seq || f.force == nil {
		f.mu.Unlock()
		return
	}
	force := f.force
	f.force, f.timer = nil, nil
	f.queue(f.update(f.reg.now()))
	f.mu.Unlock()
	f.reg.opts.Logger.Info("probekit: feature "+f.name+" force expired", "feature", f.name,
		"actor", force.Actor, "forced", onOff(force.On))
	f.flush()
}

// queue adds the transition of an operator's change to those to deliver,
// when Enabled changed. f.mu is held.
func (f *Feature) queue(t Transition, changed bool) {
	if changed {
		f.pending = append(f.pending, t)
	}
}

// flush delivers the pending transitions in order, unless another caller is
// delivering them already (then that one delivers these too). No lock is
// held while observers run: one that forces or clears this feature queues
// its change and returns.
func (f *Feature) flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.delivering {
		return
	}
	f.delivering = true
	for len(f.pending) > 0 {
		t := f.pending[0]
		f.pending = f.pending[1:]
		f.mu.Unlock()
		f.reg.Notify(t) // contained: never panics, returns by DefaultTimeout
		f.mu.Lock()
	}
	f.pending = nil
	f.delivering = false
}

// update recomputes the feature from its checks' reported statuses and its
// force, stores the result, and returns the transition to deliver when
// Enabled changed. f.mu is held; it reads only atomics of the checks, so it
// may run under a check's lock (see checkState.follow).
func (f *Feature) update(now time.Time) (Transition, bool) {
	healthy, why := true, "checks ok"
	for _, s := range f.follows {
		st := s.reportedStatus()
		if st == StatusUnavailable || (st == StatusDegraded && f.offWhenDegraded) {
			healthy, why = false, "check "+strconv.Quote(s.check.Name)+" is "+st.String()
			if s.drill.Load() != nil && Status(s.reported.Load()) < st {
				why += " (drill)" // the drill's doing, not a real failure
			}
			break
		}
	}
	on := healthy
	if f.force != nil {
		on = f.force.On
		why = "forced " + onOff(on) + " by " + f.force.Actor + " until " + f.force.Until.UTC().Format(time.RFC3339)
		if f.force.Reason != "" {
			why += ": " + f.force.Reason
		}
	}
	old := f.view.Load()
	v := &FeatureState{
		Name: f.name, Enabled: on, Why: why, Healthy: healthy,
		Checks: f.checkNames(old), OffWhenDegraded: f.offWhenDegraded,
		Forced: f.force, Since: now,
	}
	if old != nil && old.Enabled == on {
		v.Since = old.Since
		if old.Why == why && old.Healthy == healthy && old.Forced == f.force {
			return Transition{}, false // nothing a report shows changed
		}
	}
	f.view.Store(v)
	f.on.Store(on)
	f.reg.gen.Add(1)
	if old == nil || old.Enabled == on {
		return Transition{}, false
	}
	return Transition{Component: "feature", Name: f.name, From: onOff(old.Enabled), To: onOff(on), Reason: why, Time: now}, true
}

// checkNames returns the followed checks' names, shared by every view.
func (f *Feature) checkNames(old *FeatureState) []string {
	if old != nil {
		return old.Checks
	}
	names := make([]string, len(f.follows))
	for i, s := range f.follows {
		names[i] = s.check.Name
	}
	return names
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
