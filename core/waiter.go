package core

import (
	"sync"
	"sync/atomic"
	"time"
)

// waiter is one evaluation (a probe's, a scheduler's) waiting for the runs
// it started or joined: one wake-up channel and one timer for all of them,
// however many checks the evaluation runs, instead of a channel per run and
// a timer per run and waiter.
//
// A waiter is registered with each run it waits for (checkState.join) and
// leaves it either when the run is done (checkState.release counts it out
// and wakes the waiter when it was the last) or by itself, at the run's
// deadline or when the evaluation is abandoned (checkState.leave). Both
// happen under the run's checkState.mu, so each run counts out a waiter
// exactly once and a waiter back in its pool is registered nowhere.
type waiter struct {
	left  atomic.Int32  // registered runs not yet left
	wake  chan struct{} // signalled (capacity 1) when left drops to 0 on a run's release
	timer *time.Timer   // the evaluation's one deadline timer; stopped between uses
}

// waiterPool holds one registry's unregistered waiters. It is the
// registry's own, not the process's: a waiter's channel and timer belong to
// the testing/synctest bubble (if any) that made them, and a registry made
// in a bubble must never wait on those of another registry's probes, made
// outside it (the runtime aborts the program, or the bubble's clock never
// advances). Its zero value is ready to use.
type waiterPool struct{ pool sync.Pool }

// stoppedTimer returns a timer that is not running.
func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// get returns an unregistered waiter.
func (p *waiterPool) get() *waiter {
	if w, ok := p.pool.Get().(*waiter); ok {
		return w
	}
	return &waiter{wake: make(chan struct{}, 1), timer: stoppedTimer()}
}

// put returns w to p. w must be registered with no run (left is 0).
func (p *waiterPool) put(w *waiter) {
	select {
	case <-w.wake: // a wake-up that came while w was ending its wait
	default:
	}
	w.timer.Stop()
	p.pool.Put(w)
}

// notify counts one run out of w and wakes w if it was the last.
// Called under that run's checkState.mu.
func (w *waiter) notify() {
	if w.left.Add(-1) == 0 {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// sleep waits until w is woken, d has passed or stop is closed, and
// reports whether d passed.
func (w *waiter) sleep(d time.Duration, stop <-chan struct{}) (elapsed bool) {
	w.timer.Reset(d)
	select {
	case <-w.wake:
	case <-w.timer.C:
		elapsed = true
	case <-stop:
	}
	if !w.timer.Stop() && !elapsed {
		// The timer fired as the wait ended otherwise. With the
		// synchronous timer channels of Go 1.23 and later nothing is left
		// of it; under GODEBUG=asynctimerchan=1 (a program's go.mod may
		// set it) its firing may still land in the channel, where the
		// next sleep would take it for its own deadline: use a new timer.
		w.timer = stoppedTimer()
	}
	return elapsed
}
