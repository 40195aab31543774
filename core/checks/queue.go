package checks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/probekit/probekit/core"
)

// QueueOptions configures [Queue] and [QueueChan]: when a backlog degrades
// the report or fails it. Set at least one threshold or StuckAfter; a zero
// field is no such threshold.
type QueueOptions struct {
	// Capacity returns the queue's capacity, against which the fraction
	// thresholds are taken. QueueChan sets it to the channel's capacity.
	// Required by DegradedFraction and UnavailableFraction.
	Capacity func() int

	// DegradedAbove degrades the check while more than this many items
	// wait. Must be below UnavailableAbove when both are set.
	DegradedAbove int
	// UnavailableAbove fails the check while more than this many items
	// wait.
	UnavailableAbove int

	// DegradedFraction and UnavailableFraction are the same thresholds as
	// a fraction of Capacity, in (0, 1]: 0.9 is "more than 90% full". Set
	// a level's count or its fraction, not both.
	DegradedFraction, UnavailableFraction float64

	// StuckAfter degrades the check when the backlog has not gone down
	// for this long: it is not empty and no call since has seen it shorter
	// than the call before. The workers have stalled, or the producers
	// outrun them for good. The check must be called several times within
	// StuckAfter (a background check with an Interval well below it).
	// Default: zero, off.
	StuckAfter time.Duration
	// StuckUnavailable fails the check, instead of degrading it, when the
	// backlog is stuck.
	StuckUnavailable bool
}

// Queue returns a check of a worker pool's backlog: depth returns how many
// items wait (a channel's len, a job table's count of pending rows). The
// check degrades or fails above the thresholds of opts, counts or
// fractions of the capacity, and, with StuckAfter, when the backlog stops
// going down. A backlog beyond what the workers can catch up with means
// requests that enqueue work will wait or be refused: a readiness check
// takes the pod out of rotation until it drains, a degraded one tells the
// operators first.
//
// depth and Capacity are called on every run, outside any lock of the
// check's; they must be quick and safe for concurrent use (the registry
// contains a panic like any check's). Failures read
// "queue emails: 950 waiting (max 900)",
// "queue emails: 950 of 1000 waiting (max 90%)" or
// "queue emails: 120 waiting, not going down for 45s"; a negative depth or
// a capacity that is not positive fails the check with a reason that says
// so.
//
// Queue returns an error, naming the field, for an empty or unsafe name
// (it is shown in reasons: no "@", "=", "://" or control characters), a nil
// depth, a negative or missing threshold, a fraction outside (0, 1] or
// without Capacity, a level set both ways, or a degraded threshold not
// below the unavailable one.
func Queue(name string, depth func() int, opts QueueOptions) (core.CheckFunc, error) {
	q, err := newQueue(name, depth, opts, time.Now)
	if err != nil {
		return nil, err
	}
	return q.check, nil
}

// QueueChan is [Queue] for a buffered channel that workers receive from:
// the depth is len(ch) and, unless opts sets one, the capacity cap(ch). An
// unbuffered channel has no backlog to watch and is an error, and so is a
// threshold the channel can never exceed: a count not below cap(ch), or,
// with the capacity cap(ch), a fraction of 1 (use UnavailableAbove:
// cap(ch)-1 to fail on a full channel).
func QueueChan[T any](name string, ch <-chan T, opts QueueOptions) (core.CheckFunc, error) {
	// The name first: the errors below repeat it.
	if err := validateQueueName(name); err != nil {
		return nil, err
	}
	if ch == nil {
		return nil, fmt.Errorf("checks: Queue %q: ch is nil", name)
	}
	if cap(ch) == 0 {
		return nil, fmt.Errorf("checks: Queue %q: ch is unbuffered: len is always 0", name)
	}
	// len(ch) never exceeds cap(ch): a threshold at or above it would
	// never fire, and a full channel would pass.
	size := cap(ch)
	for _, t := range []struct {
		field string
		above int
	}{{"DegradedAbove", opts.DegradedAbove}, {"UnavailableAbove", opts.UnavailableAbove}} {
		if t.above >= size {
			return nil, fmt.Errorf("checks: Queue %q: %s (%d) is not below the channel's capacity (%d), which it never exceeds", name, t.field, t.above, size)
		}
	}
	if opts.Capacity == nil {
		for _, f := range []struct {
			field string
			v     float64
		}{{"DegradedFraction", opts.DegradedFraction}, {"UnavailableFraction", opts.UnavailableFraction}} {
			if f.v >= 1 {
				return nil, fmt.Errorf("checks: Queue %q: %s %v is not below 1: a channel is never more than full", name, f.field, f.v)
			}
		}
		opts.Capacity = func() int { return size }
	}
	return Queue(name, func() int { return len(ch) }, opts)
}

// validateQueueName refuses an empty or unsafe name without repeating it.
func validateQueueName(name string) error {
	if name == "" {
		return errors.New("checks: Queue: name is empty")
	}
	if err := validateName("name", name); err != nil {
		return fmt.Errorf("checks: Queue: %w", err)
	}
	return nil
}

// queue is the state of one Queue check.
type queue struct {
	name  string
	depth func() int
	opts  QueueOptions
	now   func() time.Time

	mu         sync.Mutex // guards the rest
	called     bool       // prev and progressAt hold a call's
	prev       int        // the depth at the previous call
	progressAt time.Time  // when the backlog last went down or was empty
}

func newQueue(name string, depth func() int, opts QueueOptions, now func() time.Time) (*queue, error) {
	fail := func(format string, args ...any) (*queue, error) {
		return nil, fmt.Errorf("checks: Queue %q: %s", name, fmt.Sprintf(format, args...))
	}
	if err := validateQueueName(name); err != nil {
		return nil, err
	}
	o := opts
	switch {
	case depth == nil:
		return fail("depth is nil")
	case o.DegradedAbove < 0:
		return fail("DegradedAbove is negative (%d)", o.DegradedAbove)
	case o.UnavailableAbove < 0:
		return fail("UnavailableAbove is negative (%d)", o.UnavailableAbove)
	case o.StuckAfter < 0:
		return fail("StuckAfter is negative (%v)", o.StuckAfter)
	case o.DegradedAbove == 0 && o.UnavailableAbove == 0 && o.DegradedFraction == 0 && o.UnavailableFraction == 0 && o.StuckAfter == 0:
		return fail("no threshold: set DegradedAbove, UnavailableAbove, DegradedFraction, UnavailableFraction or StuckAfter")
	case o.StuckUnavailable && o.StuckAfter == 0:
		return fail("StuckUnavailable is set without StuckAfter")
	case o.DegradedAbove > 0 && o.DegradedFraction != 0:
		return fail("DegradedAbove and DegradedFraction are both set: set one")
	case o.UnavailableAbove > 0 && o.UnavailableFraction != 0:
		return fail("UnavailableAbove and UnavailableFraction are both set: set one")
	case o.DegradedAbove > 0 && o.UnavailableAbove > 0 && o.DegradedAbove >= o.UnavailableAbove:
		return fail("DegradedAbove (%d) must be below UnavailableAbove (%d)", o.DegradedAbove, o.UnavailableAbove)
	case o.DegradedFraction != 0 && o.UnavailableFraction != 0 && o.DegradedFraction >= o.UnavailableFraction:
		return fail("DegradedFraction (%v) must be below UnavailableFraction (%v)", o.DegradedFraction, o.UnavailableFraction)
	}
	for _, f := range []struct {
		field string
		v     float64
	}{{"DegradedFraction", o.DegradedFraction}, {"UnavailableFraction", o.UnavailableFraction}} {
		switch {
		case f.v == 0:
		case !(f.v > 0 && f.v <= 1): // NaN too
			return fail("%s must be in (0, 1], got %v", f.field, f.v)
		case o.Capacity == nil:
			return fail("%s needs Capacity", f.field)
		}
	}
	return &queue{name: name, depth: depth, opts: o, now: now}, nil
}

// check is the core.CheckFunc. It ignores ctx: it returns as soon as the
// depth and capacity functions do.
func (q *queue) check(context.Context) error {
	o := q.opts
	fractions := o.DegradedFraction != 0 || o.UnavailableFraction != 0
	n := q.depth()
	capacity := 0
	if fractions {
		capacity = o.Capacity()
	}
	stuckFor := q.observe(n)
	if n < 0 {
		return core.Unhealthy(fmt.Sprintf("queue %s: depth %d is negative", q.name, n), fmt.Errorf("queue depth %d", n))
	}
	if fractions && capacity <= 0 {
		return core.Unhealthy(fmt.Sprintf("queue %s: capacity %d is not positive", q.name, capacity), fmt.Errorf("queue capacity %d", capacity))
	}
	stuck := o.StuckAfter > 0 && n > 0 && stuckFor >= o.StuckAfter
	if err := q.over(n, capacity, o.UnavailableAbove, o.UnavailableFraction, false); err != nil {
		return err
	}
	if stuck && o.StuckUnavailable {
		return q.stuck(n, stuckFor, false)
	}
	if err := q.over(n, capacity, o.DegradedAbove, o.DegradedFraction, true); err != nil {
		return err
	}
	if stuck {
		return q.stuck(n, stuckFor, true)
	}
	return nil
}

// observe records the depth n of this call and returns for how long the
// backlog has not gone down.
func (q *queue) observe(n int) time.Duration {
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.called || n <= 0 || n < q.prev {
		q.progressAt = now
	}
	q.called, q.prev = true, n
	return now.Sub(q.progressAt)
}

// over returns the error for a depth n over a level's threshold, a count
// (above) or a fraction of capacity, or nil.
func (q *queue) over(n, capacity, above int, fraction float64, degraded bool) error {
	var reason string
	switch {
	case above > 0 && n > above:
		reason = fmt.Sprintf("queue %s: %d waiting (max %d)", q.name, n, above)
	case fraction != 0 && float64(n) > fraction*float64(capacity):
		reason = fmt.Sprintf("queue %s: %d of %d waiting (max %s%%)", q.name, n, capacity, percentText(fraction))
	default:
		return nil
	}
	return breach(reason, fmt.Errorf("backlog %d over its threshold", n), degraded)
}

// stuck returns the error for a backlog of n that has not gone down for d.
func (q *queue) stuck(n int, d time.Duration, degraded bool) error {
	d = d.Round(time.Millisecond)
	return breach(fmt.Sprintf("queue %s: %d waiting, not going down for %v", q.name, n, d),
		fmt.Errorf("backlog %d not going down for %v", n, d), degraded)
}

// breach is core.Degraded or core.Unhealthy.
func breach(reason string, err error, degraded bool) error {
	if degraded {
		return core.Degraded(reason, err)
	}
	return core.Unhealthy(reason, err)
}
