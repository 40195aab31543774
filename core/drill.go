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
	"unicode"
	"unicode/utf8"
)

// MaxDrillDuration bounds every drill: a rehearsal of an outage lasts a game
// day at most, then the check reports its real result again by itself.
const MaxDrillDuration = 24 * time.Hour

// maxDrillReasonLen bounds the reason a drill carries into reports and logs.
const maxDrillReasonLen = 256

// DrillOptions is an operator's decision to rehearse an outage of one check;
// see [Registry.Drill].
type DrillOptions struct {
	// Status is what the check reports during the drill: StatusUnavailable
	// (a failed dependency) or StatusDegraded. Required: the zero value,
	// StatusOK, is refused.
	Status Status
	// Duration is how long the drill lasts: > 0 and at most
	// MaxDrillDuration. Then it ends by itself.
	Duration time.Duration
	// Actor says who runs the drill: a user name, a ticket. Required, at
	// most 64 bytes of printable UTF-8; logged and shown in reports.
	Actor string
	// Reason says why, for whoever reads the report during the drill
	// ("game day: cache outage"). Optional, at most 256 bytes; passed
	// through [Redact] and made one line before it is stored, since
	// reports are public.
	Reason string
}

// Drill is a drill in effect on a check.
type Drill struct {
	// Check is the drilled check's name.
	Check string
	// Status is what the check reports while the drill lasts.
	Status Status
	// Actor and Reason are those of the DrillOptions (Reason redacted).
	Actor, Reason string
	// Since is when the drill began, Until when it ends by itself.
	Since, Until time.Time
}

// message is what a drilled check's Message says: "drill" or "drill: reason".
func (d *Drill) message() string {
	if d.Reason == "" {
		return "drill"
	}
	return "drill: " + d.Reason
}

// DrillOverride is set on a [Result] whose reported status a drill
// overrides: Status and Message are then the drill's (unless the real ones
// are worse: a drill never hides a real failure), and RealStatus and
// RealMessage what the check itself says, so that nothing about the real
// result is lost.
type DrillOverride struct {
	Drill
	// RealStatus and RealMessage are the check's own status and message.
	RealStatus  Status
	RealMessage string
}

// ErrInvalidDrill is wrapped by every error about bad DrillOptions.
var ErrInvalidDrill = errors.New("invalid drill")

// liveDrill is a drill in effect and the timer that ends it.
type liveDrill struct {
	Drill
	timer *time.Timer
}

// drillSet is what a registry knows of its drills. Its zero value holds
// none.
type drillSet struct {
	// mu orders drill starts, ends and expiries and their deliveries: a
	// drill's end never reaches observers before its start.
	mu     sync.Mutex
	closed bool         // set by the registry's Close; guarded by mu
	n      atomic.Int32 // drills in effect: reports skip the overlay at 0
}

// close stops the timers of the drills in effect, so that none ends after
// the registry's Close (observers and exporters are shut down by then), and
// refuses later drills. The drills in effect stay in effect.
func (ds *drillSet) close(checks []*checkState) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	ds.closed = true
	for _, s := range checks {
		if d := s.drill.Load(); d != nil {
			d.timer.Stop()
		}
	}
}

// Drill makes the check called name report opts.Status, with the message
// "drill: <reason>", for opts.Duration, or its real status and message
// while they are worse (a drill never hides a real failure), to rehearse an
// outage: alerts,
// fallbacks and features that follow the check behave as in a real one.
// The check keeps running and its real results are still recorded: they
// reach observers (metrics, logs) as usual, and reports show them beside
// the drill ([Result.Drill]). A drill replaces any drill in effect on the
// check; it ends by itself at its end, or with [Registry.EndDrill].
//
// Its start and end reach the observers, and the log, as Transitions with
// Component "drill", Name the check, From "off" To the drill's status at
// the start, and back at the end; the Reason says who, for how long and
// why. Features following the check change with it.
//
// An unknown check is an error wrapping ErrUnknownCheck; bad options an
// error wrapping ErrInvalidDrill that names the field; a drill after the
// registry's Close an error wrapping ErrClosed (Close stops the drills'
// timers: a drill in effect then stays in effect). Each changes nothing.
func (r *Registry) Drill(name string, opts DrillOptions) error {
	s := r.lookup(name)
	if s == nil {
		return fmt.Errorf("core: drill %s: %w", quote(name), ErrUnknownCheck)
	}
	if why := opts.problem(); why != "" {
		return fmt.Errorf("core: drill %q: %w: %s", name, ErrInvalidDrill, why)
	}
	now := r.now()
	d := &liveDrill{Drill: Drill{
		Check: name, Status: opts.Status, Actor: opts.Actor,
		Reason: oneLine(Redact(opts.Reason)), Since: now, Until: now.Add(opts.Duration),
	}}
	r.drills.mu.Lock()
	defer r.drills.mu.Unlock()
	if r.drills.closed {
		return fmt.Errorf("core: drill %q: %w", name, ErrClosed)
	}
	var events []Transition
	if old := s.drill.Load(); old != nil {
		old.timer.Stop()
		events = append(events, drillEnd(old, "replaced by a new drill by "+d.Actor, now))
	} else {
		r.drills.n.Add(1)
	}
	d.timer = time.AfterFunc(opts.Duration, func() { r.expireDrill(s, d) })
	s.drill.Store(d)
	events = append(events, Transition{
		Component: "drill", Name: name, From: "off", To: d.Status.String(),
		Reason: "by " + d.Actor + " for " + opts.Duration.String() + " until " + d.Until.UTC().Format(time.RFC3339) + reasonSuffix(d.Reason),
		Time:   now,
	})
	r.drillChanged(s, events, now)
	return nil
}

// EndDrill ends the drill in effect on the check called name, on behalf of
// actor (in the end's Transition), and reports whether there was one. An
// unknown check is an error wrapping ErrUnknownCheck; after the registry's
// Close it is an error wrapping ErrClosed.
func (r *Registry) EndDrill(name, actor string) (bool, error) {
	s := r.lookup(name)
	if s == nil {
		return false, fmt.Errorf("core: end drill %s: %w", quote(name), ErrUnknownCheck)
	}
	if len(actor) > maxActorLen {
		actor = actor[:maxActorLen]
	}
	r.drills.mu.Lock()
	defer r.drills.mu.Unlock()
	if r.drills.closed {
		return false, fmt.Errorf("core: end drill %q: %w", name, ErrClosed)
	}
	d := s.drill.Load()
	if d == nil {
		return false, nil
	}
	d.timer.Stop()
	s.drill.Store(nil)
	r.drills.n.Add(-1)
	now := r.now()
	r.drillChanged(s, []Transition{drillEnd(d, "ended by "+oneLine(actor), now)}, now)
	return true, nil
}

// Drills returns the drills in effect, sorted by check name.
func (r *Registry) Drills() []Drill {
	if r.drills.n.Load() == 0 {
		return nil
	}
	var out []Drill
	for _, s := range r.snapshotChecks() {
		if d := s.drill.Load(); d != nil {
			out = append(out, d.Drill)
		}
	}
	return out
}

// expireDrill ends d when its time is up, unless it was ended or replaced
// meanwhile. It runs on d's timer goroutine.
func (r *Registry) expireDrill(s *checkState, d *liveDrill) {
	r.drills.mu.Lock()
	defer r.drills.mu.Unlock()
	if r.drills.closed || !s.drill.CompareAndSwap(d, nil) {
		return
	}
	r.drills.n.Add(-1)
	now := r.now()
	r.drillChanged(s, []Transition{drillEnd(d, "expired after "+d.Until.Sub(d.Since).String(), now)}, now)
}

// drillChanged publishes a drill's start or end: the features following s
// are updated, pre-rendered responses invalidated, and events (with the
// features' transitions after them) delivered. r.drills.mu is held.
func (r *Registry) drillChanged(s *checkState, events []Transition, now time.Time) {
	if p := s.followers.Load(); p != nil {
		for _, f := range *p {
			f.mu.Lock()
			t, changed := f.update(now)
			f.mu.Unlock()
			if changed {
				events = append(events, t)
			}
		}
	}
	r.gen.Add(1)
	r.deliverElsewhere(*r.observers.Load(), nil, events)
}

func drillEnd(d *liveDrill, why string, now time.Time) Transition {
	return Transition{
		Component: "drill", Name: d.Check, From: d.Status.String(), To: "off",
		Reason: why + " (drill by " + d.Actor + " since " + d.Since.UTC().Format(time.RFC3339) + ")", Time: now,
	}
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}

// problem returns what is wrong with o, naming the field, or "".
func (o DrillOptions) problem() string {
	switch {
	case o.Status != StatusUnavailable && o.Status != StatusDegraded:
		return "Status must be StatusUnavailable or StatusDegraded, got " + o.Status.String()
	case o.Duration <= 0:
		return "Duration must be > 0, got " + o.Duration.String()
	case o.Duration > MaxDrillDuration:
		return "Duration " + o.Duration.String() + " is over the maximum " + MaxDrillDuration.String()
	case strings.TrimSpace(o.Actor) == "":
		return "Actor is empty"
	case len(o.Actor) > maxActorLen:
		return "Actor is longer than " + strconv.Itoa(maxActorLen) + " bytes"
	case !printable(o.Actor):
		return "Actor holds invalid UTF-8 or a control or format character"
	case len(o.Reason) > maxDrillReasonLen:
		return "Reason is longer than " + strconv.Itoa(maxDrillReasonLen) + " bytes"
	}
	return ""
}

// printable reports whether s is valid UTF-8 of printable runes only.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// drilledStatus is the status s reports, real being its own: with a drill
// in effect, the drill's status or real when that is worse (a rehearsal
// never hides a real failure), and true.
func (s *checkState) drilledStatus(real Status) (Status, bool) {
	if d := s.drill.Load(); d != nil {
		return max(d.Status, real), true
	}
	return real, false
}

// overlayDrill makes res, a result of s, report the drill in effect on s,
// if any, keeping its real status and message in res.Drill. A real status
// worse than the drill's stays, with its message: a degraded drill must
// not make a check that really fails look degraded (and its pod ready).
func (s *checkState) overlayDrill(res *Result) {
	d := s.drill.Load()
	if d == nil {
		return
	}
	res.Drill = &DrillOverride{Drill: d.Drill, RealStatus: res.Status, RealMessage: res.Message}
	if d.Status > res.Status {
		res.Status, res.Message = d.Status, d.message()
	}
}

// overlayDrills applies the drills in effect to results: one atomic load
// when there is none.
func (r *Registry) overlayDrills(results []Result) {
	if r.drills.n.Load() == 0 {
		return
	}
	list := r.snapshotChecks()
	for i := range results {
		j, ok := slices.BinarySearchFunc(list, results[i].Name, func(s *checkState, name string) int {
			return strings.Compare(s.check.Name, name)
		})
		if ok {
			list[j].overlayDrill(&results[i])
		}
	}
}
