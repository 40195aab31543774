package core

import (
	"context"
	"fmt"
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
// function is not called again and every evaluation fails at once.
type checkState struct {
	check Check
	reg   *Registry

	mu      sync.Mutex // guards the fields below
	running *run       // the call in progress, or nil
	ran     bool       // a result has been recorded
	status  Status     // reported status, after thresholds
	succ    int        // consecutive successes
	result  Result     // last recorded result

	reported  atomic.Uint32              // status, readable without mu (features follow it)
	followers atomic.Pointer[[]*Feature] // features that follow the check; copied on write
	drill     atomic.Pointer[liveDrill]  // the drill in effect, or nil; see drill.go
}

// run is one call of a check function, shared by every evaluation that joins it.
type run struct {
	deadline time.Time
	done     chan struct{} // closed when the function has returned
	recorded bool          // result holds the run's outcome; guarded by checkState.mu
	returned bool          // the function returned and its outcome is recorded: only observers remain; guarded by checkState.mu
	result   Result
	counted  time.Time // when a stuck-call failure was last counted; guarded by checkState.mu
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

// begin joins the call in progress or starts a new one under parent. A
// probe's call ignores the cancellation of parent (other probes may share
// the call; it has its own deadline); a background call stops with parent.
//
// If the call in progress is stuck past its deadline, begin answers at once
// with a nil run and a failed result. Such a stuck call counts one more
// failure (and reaches observers) at most once per Timeout, however many
// probes ask, so a probe storm cannot inflate the failure count while a
// kubelet probing every few seconds still moves the thresholds.
func (s *checkState) begin(parent context.Context, background bool) (*run, Result) {
	now := s.reg.now()
	s.mu.Lock()
	if r := s.running; r != nil && r.returned && now.Before(r.deadline) {
		// The call is over and its observers are being called: its outcome
		// is the answer (see finish).
		res := r.result
		s.mu.Unlock()
		return nil, res
	}
	if r := s.running; r != nil && !r.returned {
		if now.Before(r.deadline) {
			s.mu.Unlock()
			return r, Result{}
		}
		if r.recorded && now.Sub(r.counted) < s.check.Timeout {
			res := s.result
			res.Message = s.message(errStillRunning)
			s.mu.Unlock()
			return nil, res
		}
		res, events := s.recordLocked(errStillRunning, s.check.Timeout, now)
		r.recorded, r.result, r.counted = true, res, now
		s.mu.Unlock()
		s.emitElsewhere(res, events)
		return nil, res
	}
	r := &run{deadline: now.Add(s.check.Timeout), done: make(chan struct{})}
	s.running = r
	s.mu.Unlock()

	if !background {
		parent = context.WithoutCancel(parent)
	}
	ctx, cancel := context.WithDeadline(parent, r.deadline)
	s.reg.calls.add()
	go s.execute(ctx, cancel, parent, r, background)
	return r, Result{}
}

// execute makes the call of the check function that r stands for, on the
// goroutine begin started for it: the only goroutine that runs a check
// function or reads its error. However the call ends (see contain.go), the
// run is finished here or in a deferred call, so the check is never left
// marked running by a call that is gone.
func (s *checkState) execute(ctx context.Context, cancel context.CancelFunc, parent context.Context, r *run, background bool) {
	defer s.reg.calls.done()
	defer cancel()
	start := s.reg.now()
	var err error
	v, panicked := protect(func() { err = s.check.Check(ctx) }, func() {
		s.conclude(r, parent, background, start, exitedError("check"))
	})
	if panicked {
		err = errPanic{v}
	}
	s.conclude(r, parent, background, start, err)
}

// conclude finishes r, whose call started at start and ended with err.
func (s *checkState) conclude(r *run, parent context.Context, background bool, start time.Time, err error) {
	end := s.reg.now()
	elapsed := end.Sub(start)
	switch {
	case elapsed > s.check.Timeout:
		// The function ignored its deadline or returned just after it:
		// the answer came too late to count as healthy.
		err = fmt.Errorf("%w after %v", errTimeout, s.check.Timeout)
		elapsed = s.check.Timeout
	case background && parent.Err() != nil:
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
	if s.running == r {
		s.running = nil
	}
	s.mu.Unlock()
	close(r.done)
}

// finish records the outcome of r (unless a waiter already recorded its
// timeout) and frees the check for the next call. It runs on r's runner
// goroutine, so observers are called directly there; should one call
// runtime.Goexit, the deferred calls still free the check and r's waiters.
//
// r stays the check's call while its observers are called, so that an
// evaluation meanwhile (an observer's own, say) gets r's outcome at once
// (see begin): otherwise an observer that evaluates the registry would set
// off a new call from each call's delivery, without end. Past r's deadline
// (a slow observer) a new call starts as usual.
func (s *checkState) finish(r *run, err error, d time.Duration, at time.Time) {
	defer close(r.done)
	defer func() {
		s.mu.Lock()
		if s.running == r {
			s.running = nil
		}
		s.mu.Unlock()
	}()
	s.mu.Lock()
	var res Result
	var events []Transition
	recorded := false
	if !r.recorded {
		res, events = s.recordLocked(err, d, at)
		r.recorded, r.result, recorded = true, res, true
	}
	r.returned = true
	s.mu.Unlock()
	if recorded {
		s.reg.deliver(*s.reg.observers.Load(), &res, events, 0) // before waiters return, so observers see it first
	}
}

// wait waits for r until its deadline or until ctx ends. At the deadline it
// records a timeout for the run, once, whoever waits.
func (s *checkState) wait(ctx context.Context, r *run) Result {
	select {
	case <-r.done:
		return s.runResult(r)
	default:
	}
	t := time.NewTimer(r.deadline.Sub(s.reg.now()))
	defer t.Stop()
	select {
	case <-r.done:
		return s.runResult(r)
	case <-t.C:
		s.mu.Lock()
		if r.recorded {
			res := r.result
			s.mu.Unlock()
			return res
		}
		now := s.reg.now()
		res, events := s.recordLocked(fmt.Errorf("%w after %v", errTimeout, s.check.Timeout), s.check.Timeout, now)
		r.recorded, r.result, r.counted = true, res, now
		s.mu.Unlock()
		s.emitElsewhere(res, events)
		return res
	case <-ctx.Done():
		// The prober went away; the run goes on and records its own result.
		res := s.last()
		res.Status, res.Message, res.Err = StatusUnavailable, "canceled", ctx.Err()
		return res
	}
}

func (s *checkState) runResult(r *run) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return r.result
}

// evaluate returns a current result for the check: the cached one for a
// background check, else the outcome of a (possibly shared) call.
func (s *checkState) evaluate(ctx context.Context) Result {
	if s.check.Interval > 0 {
		return s.last()
	}
	r, res := s.begin(ctx, false)
	if r == nil {
		return res
	}
	return s.wait(ctx, r)
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
	for {
		if r, _ := s.begin(ctx, true); r != nil {
			s.wait(ctx, r)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
