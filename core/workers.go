package core

import (
	"slices"
	"sync"
	"time"
)

// workerIdle is how long a worker goroutine stays parked without a call
// before it exits. Probes that come faster than this (a load balancer, a
// storm, a benchmark) reuse parked workers; the kubelet's probes, seconds
// apart, find none and start one, as a goroutine per call would. It is
// short so that a registry nobody closes leaves no goroutine behind for
// long (goleak's VerifyTestMain, in users' tests too, waits about 0.4 s).
const workerIdle = 100 * time.Millisecond

// workerPool runs check calls on worker goroutines that park between
// calls, instead of starting a goroutine per call.
//
// Ownership: the registry owns its pool. A worker exits after workerIdle
// without a call, at once when the registry closes, or (when the function
// it runs calls runtime.Goexit) at the end of that call, after its
// deferred calls have finished the run (see checkState.execute): a dead
// worker is simply not parked again, and the next call starts a new one.
// A worker whose call never returns stays with it, as the goroutine of
// that call always did; it is the call's, not the pool's.
//
// Check functions never run on the caller's goroutine (a probe's request,
// a scheduler): a Goexit there would end the request.
type workerPool struct {
	mu     sync.Mutex // guards idle and closed
	idle   []*worker  // parked workers, most recently parked last
	closed bool       // the registry closed: workers exit after their call
}

// spillDelay bounds how long the calls of one evaluation, handed to one
// worker as a batch, wait behind a slow one: after it, the calls not yet
// begun go to workers of their own (see pending and Registry.await). Fast
// checks (an in-memory flag, a local ping) all finish on the one worker,
// which spares a goroutine hand-off per check.
const spillDelay = time.Millisecond

// worker is one worker goroutine's mailbox.
type worker struct {
	calls  chan *run     // capacity 1: the next call, or nil to exit
	gone   chan struct{} // closed when the goroutine exits
	parked time.Time     // when the worker last parked; read by its own goroutine only
}

// dispatch makes rn's call, which the caller has claimed, on a parked
// worker or on a new one; the worker then makes the calls that follow rn
// in its batch (rn.next...) that nobody has claimed yet.
func (p *workerPool) dispatch(rn *run) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.calls <- rn // never blocks: a parked worker's mailbox is empty
		return
	}
	p.mu.Unlock()
	w := &worker{calls: make(chan *run, 1), gone: make(chan struct{})}
	go w.loop(p, rn)
}

// spill hands every call of batch that nobody has claimed yet to a worker
// of its own.
func (p *workerPool) spill(batch *run) {
	for rn := batch; rn != nil; rn = rn.next {
		if rn.claim() {
			p.dispatch(rn)
		}
	}
}

// makeCalls makes rn's call, then those of its batch that nobody has
// claimed yet. Should a call end the goroutine (runtime.Goexit; the call
// itself is recorded by execute's deferred calls), the rest of the batch is
// spilled onto other workers as the goroutine unwinds, without waiting for
// the evaluation to do it (see Registry.await).
func (p *workerPool) makeCalls(rn *run) {
	returned := false
	defer func() {
		if !returned {
			p.spill(rn.next)
		}
	}()
	rn.s.execute(rn)
	for rn = rn.next; rn != nil; rn = rn.next {
		if rn.claim() {
			rn.s.execute(rn)
		}
	}
	returned = true
}

// loop makes calls until the worker has been idle for workerIdle or the
// pool closes. The idle timer is not reset on every call (a timer reset
// per call costs as much as a call of a fast check): when it fires, a
// worker that parked less than workerIdle ago rearms it for the rest.
func (w *worker) loop(p *workerPool, rn *run) {
	defer close(w.gone)
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for rn != nil {
		p.makeCalls(rn)
		if !p.park(w) {
			return
		}
		w.parked = time.Now()
		rn = nil
		for rn == nil {
			select {
			case rn = <-w.calls:
				if rn == nil {
					return // the pool closed
				}
			case <-idle.C:
				if left := workerIdle - time.Since(w.parked); left > 0 {
					idle.Reset(left)
					continue
				}
				if p.unpark(w) {
					return
				}
				// Taken by a dispatch just now: its call is on its way.
				// The firing consumed the timer: arm it again, or the
				// worker, parked after this call, would never exit idle.
				idle.Reset(workerIdle)
				rn = <-w.calls
				if rn == nil {
					return
				}
			}
		}
	}
}

// park puts w among the idle workers; false if the pool is closed.
func (p *workerPool) park(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.idle = append(p.idle, w)
	return true
}

// unpark takes w out of the idle workers, if no dispatch took it first.
func (p *workerPool) unpark(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.idle {
		if x == w {
			p.idle = slices.Delete(p.idle, i, i+1)
			return true
		}
	}
	return false
}

// close stops the parked workers and waits for them to exit; workers in a
// call exit when it returns. Calls dispatched later run on workers that
// exit after their one call.
func (p *workerPool) close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, w := range idle {
		w.calls <- nil
	}
	for _, w := range idle {
		<-w.gone
	}
}
