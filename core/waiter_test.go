package core

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestWaiterNoStaleTimerFiring: a waiter woken just as its timer fires
// leaves no firing behind for the evaluation that gets it from the pool
// next, which would take it for its own deadline (and record a timeout for
// calls still within theirs). With the synchronous timer channels of Go
// 1.23 and later, Stop guarantees that; with GODEBUG=asynctimerchan=1 (a
// user's go.mod may set it), the firing must be drained. The test runs
// itself again under that setting.
func TestWaiterNoStaleTimerFiring(t *testing.T) {
	t.Parallel()
	if os.Getenv("PROBEKIT_ASYNCTIMERCHAN_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWaiterNoStaleTimerFiring$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GODEBUG=asynctimerchan=1", "PROBEKIT_ASYNCTIMERCHAN_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("under GODEBUG=asynctimerchan=1: %v\n%s", err, out)
		}
	}
	w := &waiter{wake: make(chan struct{}, 1), timer: time.NewTimer(time.Hour)}
	w.timer.Stop()
	stop := make(chan struct{})
	for i := range 200 {
		// Woken, with the timer due at once: whichever the select takes,
		// the timer has fired or is about to by the time sleep stops it.
		select {
		case w.wake <- struct{}{}:
		default: // the last round's wake-up is still there: the timer won
		}
		w.sleep(time.Nanosecond, nil)
		time.Sleep(50 * time.Microsecond) // lets a late firing land; not synchronisation
		// The next sleep must not see that firing: closed stop ends it at
		// once, and only a stale firing could make it report the deadline.
		close(stop)
		if w.sleep(time.Hour, stop) {
			t.Fatalf("round %d: a stale timer firing was taken for the deadline", i)
		}
		stop = make(chan struct{})
	}
}
