package core

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// checkState is one registered check and what the registry knows about it.
//
// Concurrency: at most one call of the check function runs at a time
// (single-flight). Probes that arrive while a call is running join it
// (coalescing) and wait for it no longer than its deadline. A call that outlives
// its deadline is recorded as a timeout and abandoned; until it returns, the
// function is not called again and every evaluation fails at once. A call
// that returned within its deadline is reused, without a new call, by the
// probes that arrive within Check.ReuseWindow of its end.
//
// Calls run on the registry's worker goroutines (see workerPool), never on
// the caller's; an evaluation waits for all the calls it needs with one
// waiter, one timer (see await).
type checkState struct {
	check Check
	reg   *Registry

	mu         sync.Mutex // guards the fields below
	running    *run       // the call in progress, or nil
	ran        bool       // a result has been recorded
	status     Status     // reported status, after thresholds
	succ       int        // consecutive successes
	result     Result     // last recorded result
	reuseUntil time.Time  // until when result, the outcome of a call that returned in time, is reused (Check.ReuseWindow)

	reported  atomic.Uint32              // status, readable without mu (features follow it)
	followers atomic.Pointer[[]*Feature] // features that follow the check; copied on write
	drill     atomic.Pointer[liveDrill]  // the drill in effect, or nil; see drill.go
}

func newCheckState(c Check, r *Registry) *checkState {
	s := &checkState{check: c, reg: r}
	s.result = Result{
		Name:     c.Name,
		Status:   StatusUnavailable,
		Message:  "not run yet",
		Critical: !c.Optional,
		Operator: c.operatorInfo(),
	}
	s.status = StatusUnavailable
	s.reported.Store(uint32(StatusUnavailable))
	return s
}

func (s *checkState) isRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running != nil
}

// last returns the last recorded result.
func (s *checkState) last() Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.result
}

// begin joins the call in progress or starts a new one under parent, and
// registers w (unless nil) to wait for it; now is the registry's time. A probe's call ignores the
// cancellation of parent (other probes may share the call; it has its own
// deadline); a background call stops with parent.
//
// A result that a call returned in time less than Check.ReuseWindow ago is
// the answer, at once and without a call.
//
// If the call in progress is stuck past its deadline, begin answers at once
// with a nil run and a failed result. Such a stuck call counts one more
// failure (and reaches observers) at most once per Timeout, however many
// probes ask, so a probe storm cannot inflate the failure count while a
// kubelet probing every few seconds still moves the thresholds.
//
// A run begin starts (started) is the caller's to hand to a worker: on its
// own (workerPool.dispatch) or in a batch (see pending).
func (s *checkState) begin(parent context.Context, background bool, w *waiter, now time.Time) (r *run, res Result, started bool) {
	s.mu.Lock()
	r = s.running
	switch {
	case r != nil && r.returned && now.Before(r.deadline):
		// The call is over and its observers are being called: its outcome
		// is the answer (see finish).
		res = r.result
		s.mu.Unlock()
		return nil, res, false
	case r == nil && s.check.ReuseWindow > 0 && now.Before(s.reuseUntil):
		// (The zero reuseUntil of a check without a window is no window,
		// even on a clock before year 1: a test's fake clock.)
		res = s.result
		s.mu.Unlock()
		return nil, res, false
	case r != nil && !r.returned:
		if now.Before(r.deadline) {
			s.join(r, w)
			s.mu.Unlock()
			return r, Result{}, false
		}
		if r.recorded && now.Sub(r.counted) < s.check.Timeout {
			res = s.result
			res.Message = s.message(errStillRunning)
			s.mu.Unlock()
			return nil, res, false
		}
		var events []Transition
		res, events = s.recordLocked(errStillRunning, s.check.Timeout, now)
		r.recorded, r.result, r.counted = true, res, now
		s.mu.Unlock()
		s.emitElsewhere(res, events)
		return nil, res, false
	}
	r = &run{s: s, parent: parent, deadline: now.Add(s.check.Timeout), background: background}
	r.waiters = r.first[:0]
	s.join(r, w)
	s.running = r
	s.mu.Unlock()

	s.reg.calls.add()
	return r, Result{}, true
}

// join registers w to wait for r. s.mu is held.
func (s *checkState) join(r *run, w *waiter) {
	if w != nil {
		r.waiters = append(r.waiters, w)
		w.left.Add(1)
	}
}

// leave takes w off r before r is done: its evaluation stops waiting (the
// deadline passed, or the prober went away). s.mu is held.
func (s *checkState) leave(r *run, w *waiter) {
	if i := slices.Index(r.waiters, w); i >= 0 {
		r.waiters = slices.Delete(r.waiters, i, i+1)
		w.left.Add(-1)
	}
}

// execute makes the call of the check function that r stands for, on a
// worker goroutine: the only goroutine that runs a check function or reads
// its error. However the call ends (see contain.go), the run is finished
// here or in a deferred call, so the check is never left marked running by
// a call that is gone; a runtime.Goexit ends the worker, which the pool
// replaces (see workerPool).
func (s *checkState) execute(r *run) {
	defer s.reg.calls.done()
	defer r.end()
	start := s.reg.now()
	var err error
	v, panicked := protect(func() { err = s.check.Check(r) }, func() {
		s.conclude(r, start, exitedError("check"))
	})
	if panicked {
		err = errPanic{v}
	}
	s.conclude(r, start, err)
}

// conclude finishes r, whose call started at start and ended with err.
func (s *checkState) conclude(r *run, start time.Time, err error) {
	end := s.reg.now()
	elapsed := end.Sub(start)
	switch {
	case elapsed > s.check.Timeout:
		// The function ignored its deadline or returned just after it:
		// the answer came too late to count as healthy.
		err = fmt.Errorf("%w after %v", errTimeout, s.check.Timeout)
		elapsed = s.check.Timeout
	case r.background && r.parent.Err() != nil:
		// The registry closed (or Start's context ended) mid-call: that
		// says nothing about the dependency, so nothing is recorded.
		s.abandon(r)
		return
	case err != nil:
		if _, read := err.(*userError); !read { //nolint:errorlint // errors.As would run the user error's Unwrap and As here, outside the guard readError puts around user code
			// Read here, before recording: reading it may panic, exit or
			// hang, and only this goroutine may suffer that.
			err = readError("check", err, func(u *userError) { s.finish(r, u, elapsed, end) })
		}
	}
	s.finish(r, err, elapsed, end)
}

// abandon frees the check from r without recording an outcome.
func (s *checkState) abandon(r *run) {
	s.mu.Lock()
	if !r.recorded {
		r.result = s.result
	}
	s.mu.Unlock()
	s.release(r)
}

// finish records the outcome of r (unless a waiter already recorded its
// timeout) and frees the check for the next call. It runs on r's worker
// goroutine, so observers are called directly there; should one call
// runtime.Goexit, the deferred call still frees the check and r's waiters.
//
// r stays the check's call while its observers are called, so that an
// evaluation meanwhile (an observer's own, say) gets r's outcome at once
// (see begin): otherwise an observer that evaluates the registry would set
// off a new call from each call's delivery, without end. Past r's deadline
// (a slow observer) a new call starts as usual.
func (s *checkState) finish(r *run, err error, d time.Duration, at time.Time) {
	defer s.release(r)
	s.mu.Lock()
	var res Result
	var events []Transition
	recorded := false
	if !r.recorded {
		res, events = s.recordLocked(err, d, at)
		r.recorded, r.result, recorded = true, res, true
		// Only an outcome the call returned before its deadline is
		// reused: never a timeout (the waiters' or one the function
		// returned as its context expired), never a stuck call's failure.
		if s.check.ReuseWindow > 0 && at.Before(r.deadline) {
			s.reuseUntil = at.Add(s.check.ReuseWindow)
		}
	}
	r.returned = true
	s.mu.Unlock()
	if recorded {
		s.reg.deliver(*s.reg.observers.Load(), &res, events, 0) // before waiters return, so observers see it first
	}
}

// release ends r: the check is free for the next call, and r's waiters
// are told.
func (s *checkState) release(r *run) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running == r {
		s.running = nil
	}
	r.done = true
	for i, w := range r.waiters {
		w.notify()
		r.waiters[i] = nil
	}
	r.waiters = r.waiters[:0]
}

// expire answers for r, whose deadline has passed, to w: r's outcome if it
// is done, else a timeout, recorded once for the run whoever waits.
func (s *checkState) expire(r *run, w *waiter, now time.Time) Result {
	s.mu.Lock()
	if r.done {
		res := r.result
		s.mu.Unlock()
		return res
	}
	s.leave(r, w)
	if r.recorded {
		res := r.result
		s.mu.Unlock()
		return res
	}
	res, events := s.recordLocked(fmt.Errorf("%w after %v", errTimeout, s.check.Timeout), s.check.Timeout, now)
	r.recorded, r.result, r.counted = true, res, now
	s.mu.Unlock()
	s.emitElsewhere(res, events)
	return res
}

// abandonWait answers for r to w, whose prober went away: r's outcome if it
// is done, else "canceled" (the run goes on and records its own result).
func (s *checkState) abandonWait(r *run, w *waiter, cause error) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.done {
		return r.result
	}
	s.leave(r, w)
	res := s.result
	res.Status, res.Message, res.Err = StatusUnavailable, "canceled", cause
	return res
}

// outcome is r's result once r is done.
func (s *checkState) outcome(r *run) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return r.result
}

// await waits, with w, for the runs an evaluation started or joined:
// runs[i] is the call of states[i] (nil: nothing to wait for) and its
// result goes to results[i]. Each run is waited for until its own deadline
// or until ctx ends; the runs are concurrent, so this takes as long as the
// slowest, not the sum. On return w is registered with no run and every
// runs[i] is nil.
//
// batch, unless nil, is the chain of calls the evaluation handed to one
// worker (see pending): if they are not all over after spillDelay, await
// spills the ones not yet begun onto workers of their own.
func (r *Registry) await(ctx context.Context, w *waiter, states []*checkState, runs []*run, results []Result, batch *run) {
	for w.left.Load() > 0 {
		var next time.Time
		for _, rn := range runs {
			if rn != nil && (next.IsZero() || rn.deadline.Before(next)) {
				next = rn.deadline
			}
		}
		d := next.Sub(r.now())
		spilling := batch != nil && d > spillDelay
		if spilling {
			d = spillDelay
		}
		reached := false // slept until next: its runs are past their deadline, whatever the clock says
		if d > 0 {
			reached = w.sleep(d, ctx.Done()) && !spilling
		}
		if w.left.Load() == 0 {
			break
		}
		if batch != nil {
			r.workers.spill(batch)
			batch = nil
		}
		if err := ctx.Err(); err != nil {
			for i, rn := range runs {
				if rn != nil {
					results[i], runs[i] = states[i].abandonWait(rn, w, err), nil
				}
			}
			return
		}
		now := r.now()
		if reached && now.Before(next) {
			now = next
		}
		for i, rn := range runs {
			if rn != nil && !now.Before(rn.deadline) {
				results[i], runs[i] = states[i].expire(rn, w, now), nil
			}
		}
	}
	for i, rn := range runs {
		if rn != nil {
			results[i], runs[i] = states[i].outcome(rn), nil
		}
	}
}

// evaluate returns a current result for the check: the cached one for a
// background check, else the outcome of a (possibly shared) call.
func (s *checkState) evaluate(ctx context.Context) Result {
	if s.check.Interval > 0 {
		return s.last()
	}
	w := s.reg.waiters.get()
	defer s.reg.waiters.put(w)
	r, res, started := s.begin(ctx, false, w, s.reg.now())
	if r == nil {
		return res
	}
	if started {
		r.claim()
		s.reg.workers.dispatch(r)
	}
	states, runs, results := [1]*checkState{s}, [1]*run{r}, [1]Result{}
	s.reg.await(ctx, w, states[:], runs[:], results[:], nil)
	return results[0]
}

// recordLocked applies one outcome to the check's state and thresholds and
// returns the new result and the transitions it caused. s.mu is held. err is
// nil, one of the registry's own errors or a *userError: recording calls no
// user code.
func (s *checkState) recordLocked(err error, d time.Duration, at time.Time) (Result, []Transition) {
	c := s.check
	res := &s.result
	res.Err, res.Duration, res.Time = err, d, at
	raw := StatusOK
	var reason string
	if err != nil {
		var degraded bool
		reason, degraded = describe(err)
		raw = StatusUnavailable
		if degraded {
			raw = StatusDegraded
		}
		res.ConsecutiveFailures++
		s.succ = 0
	} else {
		res.ConsecutiveFailures = 0
		res.LastSuccess = at
		s.succ++
	}

	prev, was := s.status, s.ran
	switch {
	case !s.ran:
		s.status = raw // the first outcome is reported as it is
	case raw == StatusOK:
		if s.succ >= c.SuccessThreshold {
			s.status = StatusOK
		}
	case s.status != StatusOK:
		s.status = raw // already failing: follow degraded <-> unavailable at once
	case res.ConsecutiveFailures >= c.FailureThreshold:
		s.status = raw
	}
	s.ran = true
	res.Status = s.status

	res.Message = ""
	if err != nil {
		res.Message = reason
		if s.reg.opts.ExposeErrors {
			res.Message = err.Error()
		}
		if s.status == StatusOK {
			res.Message = fmt.Sprintf("%s (failure %d of %d)", res.Message, res.ConsecutiveFailures, c.FailureThreshold)
		}
	} else if s.status != StatusOK {
		res.Message = fmt.Sprintf("recovering (success %d of %d)", s.succ, c.SuccessThreshold)
	}
	s.reg.gen.Add(1)

	var events []Transition
	if !was || prev != s.status {
		from := "unknown"
		if was {
			from = prev.String()
		}
		events = append(events, Transition{
			Component: "check", Name: c.Name, From: from, To: s.status.String(),
			Reason: reason, Err: err, Time: at, // Reason: never raw error text, even with ExposeErrors
		})
		events = s.statusChanged(events, at)
	}
	return *res, events
}

// message is what responses show for err, one of the registry's own errors:
// its reason, or its raw text with Options.ExposeErrors.
func (s *checkState) message(err error) string {
	if s.reg.opts.ExposeErrors {
		return err.Error()
	}
	return Reason(err)
}

// emitElsewhere reports a result and its transitions from a goroutine that
// is not a runner (a probe's, a scheduler): observers run on one of their
// own. Called without s.mu.
func (s *checkState) emitElsewhere(res Result, events []Transition) {
	s.reg.deliverElsewhere(*s.reg.observers.Load(), &res, events)
}

// schedule runs a background check every Interval until ctx ends.
func (s *checkState) schedule(ctx context.Context) {
	if d := s.check.InitialDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	tick := time.NewTicker(s.check.Interval)
	defer tick.Stop()
	w := s.reg.waiters.get()
	defer s.reg.waiters.put(w)
	for {
		if r, _, started := s.begin(ctx, true, w, s.reg.now()); r != nil {
			if started {
				r.claim()
				s.reg.workers.dispatch(r)
			}
			states, runs, results := [1]*checkState{s}, [1]*run{r}, [1]Result{}
			s.reg.await(ctx, w, states[:], runs[:], results[:], nil)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
