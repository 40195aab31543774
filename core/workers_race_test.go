package core

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// blockedIn reports whether some goroutine's stack holds fn.
func blockedIn(fn string) bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), fn)
}

// TestWorkerTakenAsItsIdleTimerFires: a parked worker whose idle timer
// fires just as a dispatch takes it (the dispatch wins the pool's lock)
// makes that call, parks again and still exits once idle: its idle timer,
// consumed by the firing, is armed again. Before, it was not, and the
// worker stayed parked until Close, forever for a registry nobody closes.
func TestWorkerTakenAsItsIdleTimerFires(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "db", Check: ok})
	r.MarkStarted()
	_, _ = r.Evaluate(context.Background(), Readiness)
	waitFor(t, func() bool { return idleWorkers(r) == 1 })

	// Hold the pool's lock until the worker, its idle timer fired, waits
	// for it to leave the pool; then take the worker as a dispatch does.
	p := &r.workers
	p.mu.Lock()
	deadline := time.Now().Add(5 * time.Second) // bounds a broken test only
	for !blockedIn("(*workerPool).unpark") {
		if time.Now().After(deadline) {
			p.mu.Unlock()
			t.Fatal("the parked worker never tried to leave the pool")
		}
		runtime.Gosched()
	}
	w := p.idle[0]
	p.idle = p.idle[:0]
	p.mu.Unlock()
	s := r.lookup("db")
	rn, _, started := s.begin(context.Background(), false, nil, r.now())
	if !started {
		t.Fatal("no call started")
	}
	rn.claim()
	w.calls <- rn

	waitFor(t, func() bool { return !s.isRunning() && idleWorkers(r) == 1 })
	waitFor(t, func() bool { return idleWorkers(r) == 0 }) // after workerIdle
}
