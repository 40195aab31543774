package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Report is the outcome of evaluating one probe kind.
type Report struct {
	// Kind is the probe that was evaluated.
	Kind Kind
	// Status aggregates the checks: unavailable if any critical check is
	// unavailable, else degraded if any check is not ok, else ok.
	Status Status
	// Message explains a non-ok status: "starting" (or, for an evaluation
	// that excluded a startup check, "starting: only a probe without exclude
	// can end startup"), "shutting down", or the names of the failing checks.
	Message string
	// Time is when the report was made. A report served from the
	// pre-rendered fast path carries the time of the last change.
	Time time.Time
	// Checks holds one result per evaluated check, sorted by name.
	Checks []Result
	// Features holds the state of every feature (see [Registry.Feature]),
	// sorted by name, in readiness reports of the whole kind; nil in
	// others and when there is none.
	Features []FeatureState
}

// ErrUnknownCheck is wrapped by errors about a check name that is not
// registered for the probe kind in question.
var ErrUnknownCheck = errors.New("unknown check")

// Evaluate runs the checks of one kind (concurrently, each within its own
// timeout; background checks contribute their latest result) and returns
// the aggregate report. Checks named in exclude are skipped; a name that is
// not a check of that kind is an error wrapping ErrUnknownCheck.
//
// Readiness during shutdown is unavailable with the message "shutting down",
// without running checks. Readiness and startup while starting are
// unavailable with the message "starting" until every startup check passes.
//
// Only a complete evaluation moves the lifecycle: an evaluation that
// excludes a startup check never ends Starting. While starting, such an
// evaluation reports the startup checks it ran; if they all pass it is
// still unavailable, with the message "starting: only a probe without
// exclude can end startup", because the excluded checks decide too.
func (r *Registry) Evaluate(ctx context.Context, kind Kind, exclude ...string) (Report, error) {
	if kind != Liveness && kind != Readiness && kind != Startup {
		return Report{}, fmt.Errorf("core: evaluate: kind must be one of Liveness, Readiness, Startup, got %v", kind)
	}
	for _, name := range exclude {
		if s := r.lookup(name); s == nil || s.check.Kinds&kind == 0 {
			return Report{}, fmt.Errorf("core: exclude %q: %w for %s", name, ErrUnknownCheck, kind)
		}
	}
	var ev evaluation
	defer ev.release()
	rep := r.evaluate(ctx, kind, excludeSet(slices.Clone(exclude)), &ev)
	rep.Checks = slices.Clone(rep.Checks) // ev's buffers go back to their pool
	return rep, nil
}

// startingExcluded is the message of a startup or readiness report made
// while starting whose startup checks passed only because some were
// excluded: a filtered probe never ends Starting, so it cannot claim the
// service started.
const startingExcluded = "starting: only a probe without exclude can end startup"

// evaluate makes the report of kind; exclude is sorted and free of
// duplicates (see excludeSet). Readiness reports carry the features. The
// report's Checks are in ev's buffers, valid until ev is released; its
// Features are its own.
func (r *Registry) evaluate(ctx context.Context, kind Kind, exclude []string, ev *evaluation) Report {
	rep := r.evaluateChecks(ctx, kind, exclude, ev)
	if kind == Readiness {
		rep.Features = r.featureStates()
	}
	return rep
}

// evaluateChecks makes the report of kind without its features.
func (r *Registry) evaluateChecks(ctx context.Context, kind Kind, exclude []string, ev *evaluation) Report {
	if kind == Readiness && r.State() >= StateDraining {
		return r.shuttingDown(kind)
	}
	var rep Report
	if r.State() == StateStarting && kind != Liveness {
		// When the startup gate waits on a call, the readiness checks run
		// alongside it, so a probe while starting takes one timeout, not
		// two; when the gate answers at once (no startup check, or only
		// background ones), readiness checks run only once it has passed.
		gate := r.startChecks(ctx, Startup, exclude, true)
		ev.gate = gate
		var own *pending
		early := kind == Readiness && gate.calling()
		if early {
			own = r.startChecks(ctx, kind, exclude, false)
			ev.own = own
		}
		startup := r.aggregate(Startup, gate.wait(ctx))
		if startup.Status == StatusUnavailable {
			startup.Kind, startup.Message = kind, "starting"
			return startup // readiness calls started early go on and record their results
		}
		if gate.skipped > 0 {
			// The gate passed without some of its checks: that says
			// nothing about the service having started, and a request's
			// parameters never move the lifecycle (DESIGN rule 2).
			startup.Kind, startup.Status, startup.Message = kind, StatusUnavailable, startingExcluded
			return startup
		}
		r.transition(StateStarting, StateReady, "startup checks passed")
		if kind == Startup {
			return startup
		}
		if !early {
			// The gate answered without a call: becoming ready comes first,
			// then the readiness checks, in the logs as in time.
			own = r.startChecks(ctx, kind, exclude, true)
			ev.own = own
		}
		rep = r.aggregate(kind, own.wait(ctx))
	} else {
		ev.own = r.startChecks(ctx, kind, exclude, true)
		rep = r.aggregate(kind, ev.own.wait(ctx))
	}
	if kind == Readiness && r.State() >= StateDraining {
		// Shutdown began while the checks ran: from its first moment,
		// readiness fails.
		return r.shuttingDown(kind)
	}
	return rep
}

func (r *Registry) shuttingDown(kind Kind) Report {
	return Report{Kind: kind, Status: StatusUnavailable, Message: "shutting down", Time: r.now()}
}

// evaluation holds the pending sets of one evaluation (the startup gate's
// and the kind's own) until its report has been used: the report's Checks
// live in their buffers.
type evaluation struct{ gate, own *pending }

// release returns the evaluation's buffers to their pool.
func (ev *evaluation) release() {
	ev.gate.release()
	ev.own.release()
	ev.gate, ev.own = nil, nil
}

// pending is a set of check evaluations that have been started. Pending
// sets are pooled with their buffers, so that a probe's evaluation
// allocates only the calls it starts (see run).
//
// The calls a pending set starts go to one worker as a batch, made one
// after the other: fast checks then cost one goroutine hand-off per probe,
// not one per check. A slow call holds the others back no longer than
// spillDelay: then the waiting evaluation spills the calls not yet begun
// onto workers of their own (Registry.await), and so does release, so that
// no call is left behind an evaluation that stopped waiting.
type pending struct {
	reg     *Registry
	w       *waiter // waits for the runs; nil when no run was started or joined
	states  []*checkState
	runs    []*run // runs[i]: the call states[i] waits for, or nil
	results []Result
	batch   *run // the calls started here, chained by run.next; nil if none
	skipped int  // checks of the kind left out by exclude
}

var pendings = sync.Pool{New: func() any { return new(pending) }}

// startChecks starts every synchronous check of kind (except those in
// exclude, sorted) and reads the background ones, without waiting for
// anything. With batch, the calls it starts go to one worker (see
// pending); else each to its own, for an evaluation that may not wait for
// them at once (the readiness calls a probe starts alongside the startup
// gate).
func (r *Registry) startChecks(ctx context.Context, kind Kind, exclude []string, batch bool) *pending {
	p := pendings.Get().(*pending)
	p.reg = r
	for _, s := range r.snapshotChecks() {
		switch {
		case s.check.Kinds&kind == 0:
		case isExcluded(exclude, s.check.Name):
			p.skipped++
		default:
			p.states = append(p.states, s)
		}
	}
	p.results = slices.Grow(p.results[:0], len(p.states))[:len(p.states)]
	p.runs = slices.Grow(p.runs[:0], len(p.states))[:len(p.states)]
	var last *run
	now := r.now() // one reading for all the calls: they start together
	for i, s := range p.states {
		if s.check.Interval > 0 {
			p.results[i] = s.last()
			r.explainUnrun(s, &p.results[i])
			continue
		}
		if p.w == nil {
			p.w = r.waiters.get()
		}
		rn, res, started := s.begin(ctx, false, p.w, now)
		p.runs[i], p.results[i] = rn, res
		switch {
		case !started:
		case !batch:
			rn.claim()
			r.workers.dispatch(rn)
		case last == nil:
			p.batch, last = rn, rn
		default:
			last.next, last = rn, rn
		}
	}
	if p.batch != nil {
		p.batch.claim()
		r.workers.dispatch(p.batch)
	}
	return p
}

// calling reports whether any check of p is running a call to wait for.
func (p *pending) calling() bool {
	for _, rn := range p.runs {
		if rn != nil {
			return true
		}
	}
	return false
}

// wait waits for every started run, each until its own deadline: the checks
// run concurrently, so this takes as long as the slowest, not the sum.
func (p *pending) wait(ctx context.Context) []Result {
	if p.w != nil {
		p.reg.await(ctx, p.w, p.states, p.runs, p.results, p.batch)
	}
	return p.results
}

// release spills the calls of p's batch not yet begun, takes p's waiter
// off the runs it did not wait for (an evaluation that answered "starting"
// without waiting for the readiness calls it started) and returns p to its
// pool. A nil p is a no-op.
func (p *pending) release() {
	if p == nil {
		return
	}
	if p.batch != nil {
		p.reg.workers.spill(p.batch)
	}
	if p.w != nil {
		for i, rn := range p.runs {
			if rn != nil {
				s := p.states[i]
				s.mu.Lock()
				if !rn.done {
					s.leave(rn, p.w)
				}
				s.mu.Unlock()
			}
		}
		p.reg.waiters.put(p.w)
	}
	clear(p.states)
	clear(p.runs)
	clear(p.results)
	*p = pending{states: p.states[:0], runs: p.runs[:0], results: p.results[:0]}
	pendings.Put(p)
}

// excludeSet sorts names and drops duplicates, in place, so that
// isExcluded is a binary search: a long exclude list costs
// O(checks × log excludes), not O(checks × excludes).
func excludeSet(names []string) []string {
	if len(names) < 2 {
		return names
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// isExcluded reports whether name is in exclude, a list from excludeSet.
func isExcluded(exclude []string, name string) bool {
	if len(exclude) == 0 {
		return false
	}
	_, found := slices.BinarySearch(exclude, name)
	return found
}

// notStarted is the message of a background check that has never run
// because Registry.Start was not called: without it, readiness would stay
// unavailable with "not run yet" and nothing saying why.
const notStarted = "not run yet: Registry.Start not called"

// explainUnrun gives a result of background check s that has never run the
// message notStarted when Start has not been called, and logs a warning the
// first time.
func (r *Registry) explainUnrun(s *checkState, res *Result) {
	if s.check.Interval == 0 || !res.Time.IsZero() || res.Status == StatusOK || r.started() {
		return
	}
	res.Message = notStarted
	if r.warnedNotStarted.CompareAndSwap(false, true) {
		r.opts.Logger.Warn("probekit: background checks have not run: Registry.Start was not called", "check", s.check.Name)
	}
}

// started reports whether Start has been called.
func (r *Registry) started() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.bgCtx != nil
}

// aggregate computes the report's status and message from its results.
func (r *Registry) aggregate(kind Kind, results []Result) Report {
	rep := Report{Kind: kind, Status: StatusOK, Time: r.now(), Checks: results}
	for i := range results {
		assumeAlive(kind, &results[i])
	}
	r.overlayDrills(results)
	var failed, degraded []string
	for i := range results {
		res := &results[i]
		switch {
		case res.Status == StatusOK:
		case res.Critical && res.Status == StatusUnavailable:
			failed = append(failed, res.Name)
		default:
			degraded = append(degraded, res.Name)
		}
	}
	switch {
	case len(failed) > 0:
		rep.Status = StatusUnavailable
		rep.Message = "failed: " + strings.Join(failed, ", ")
		if len(degraded) > 0 {
			rep.Message += "; degraded: " + strings.Join(degraded, ", ")
		}
	case len(degraded) > 0:
		rep.Status = StatusDegraded
		rep.Message = "degraded: " + strings.Join(degraded, ", ")
	}
	return rep
}

// assumeAlive reports a check that has not run yet as ok for liveness. Like
// the kubelet, liveness assumes success until a check has run: a background
// check in its InitialDelay must not get the container restarted.
func assumeAlive(kind Kind, res *Result) {
	if kind == Liveness && res.Time.IsZero() && res.Status != StatusOK && res.Drill == nil {
		res.Status = StatusOK
	}
}

// respond evaluates kind (without the checks in exclude, sorted) and
// encodes the report in f: the probe layer's one call into the report
// layer for a whole kind. lend: see encode.
func (r *Registry) respond(ctx context.Context, kind Kind, exclude []string, f format, lend *lentBody) (code int, contentType string, body []byte) {
	var ev evaluation
	defer ev.release()
	rep := r.evaluate(ctx, kind, exclude, &ev)
	return r.encode(&rep, f, exclude, lend)
}

// respondCheck evaluates the one check s for a probe of kind and encodes
// its report in f: the per-check path (/readyz/{check}).
func (r *Registry) respondCheck(ctx context.Context, s *checkState, kind Kind, f format, lend *lentBody) (code int, contentType string, body []byte) {
	res := s.evaluate(ctx)
	r.explainUnrun(s, &res)
	assumeAlive(kind, &res)
	s.overlayDrill(&res)
	checks := [1]Result{res}
	rep := Report{Kind: kind, Status: res.Status, Message: res.Message, Time: r.now(), Checks: checks[:]}
	return r.encode(&rep, f, nil, lend)
}
