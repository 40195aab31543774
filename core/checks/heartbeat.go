package checks

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/probekit/probekit/core"
)

// Heartbeat is a liveness watchdog for a loop that must keep making
// progress: a worker, a consumer, an event loop. The loop calls Beat on
// every iteration; Check fails once the last beat is older than the maximum
// age. Registered as a liveness check, it makes the kubelet restart a
// process whose loop has deadlocked or stalled, which is what liveness
// probes are for.
//
// Beat is safe for concurrent use and cheap enough for a hot loop: one
// atomic store, no allocation, no lock. Ages are measured on the monotonic
// clock, so wall-clock jumps cannot fake a stall or hide one.
type Heartbeat struct {
	name   string
	maxAge time.Duration
	now    func() time.Time // time.Now; tests use a fake clock
	start  time.Time        // monotonic reference for last
	last   atomic.Int64     // nanoseconds from start to the latest beat; -1 before the first
}

// NewHeartbeat returns a Heartbeat for the loop called name whose beats may
// be at most maxAge apart. Choose maxAge well above the longest legitimate
// iteration (a slow batch, a GC pause), typically several times it.
//
// Until the first Beat, the age counts from NewHeartbeat: a loop that never
// starts fails once maxAge has passed. NewHeartbeat returns an error if name
// is empty or maxAge is not positive, or if name looks like a connection
// string ("@", "=" or "://"), holds a control character or is longer than
// 128 bytes: it is shown in reasons.
func NewHeartbeat(name string, maxAge time.Duration) (*Heartbeat, error) {
	return newHeartbeat(name, maxAge, time.Now)
}

func newHeartbeat(name string, maxAge time.Duration, now func() time.Time) (*Heartbeat, error) {
	switch {
	case name == "":
		return nil, errors.New("checks: NewHeartbeat: name is empty")
	case maxAge <= 0:
		return nil, fmt.Errorf("checks: NewHeartbeat: maxAge must be positive, got %v", maxAge)
	}
	if err := validateName("name", name); err != nil {
		return nil, fmt.Errorf("checks: NewHeartbeat: %w", err)
	}
	h := &Heartbeat{name: name, maxAge: maxAge, now: now, start: now()}
	h.last.Store(-1)
	return h, nil
}

// Beat records that the loop made progress now.
func (h *Heartbeat) Beat() {
	h.last.Store(int64(h.now().Sub(h.start)))
}

// Age returns how long ago the last beat was, or, before the first beat,
// how long ago the Heartbeat was created.
func (h *Heartbeat) Age() time.Duration {
	age, _ := h.age()
	return age
}

func (h *Heartbeat) age() (age time.Duration, beaten bool) {
	elapsed := h.now().Sub(h.start)
	last := h.last.Load()
	if last < 0 {
		return elapsed, false
	}
	return elapsed - time.Duration(last), true
}

// Check is the heartbeat's core.CheckFunc: it fails when the last beat is
// older than the maximum age. It returns at once and ignores ctx. Failures
// read "heartbeat consumer: no beat for 45s (max 30s)", or
// "heartbeat consumer: no beat yet, 45s after start (max 30s)".
func (h *Heartbeat) Check(context.Context) error {
	age, beaten := h.age()
	if age <= h.maxAge {
		return nil
	}
	age = age.Round(time.Millisecond)
	reason := fmt.Sprintf("heartbeat %s: no beat for %v (max %v)", h.name, age, h.maxAge)
	if !beaten {
		reason = fmt.Sprintf("heartbeat %s: no beat yet, %v after start (max %v)", h.name, age, h.maxAge)
	}
	return core.Unhealthy(reason, fmt.Errorf("stale heartbeat: last beat %v ago", age))
}
