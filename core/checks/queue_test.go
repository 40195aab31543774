package checks_test

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

func TestQueueOptions(t *testing.T) {
	t.Parallel()
	depth := func() int { return 0 }
	capacity := func() int { return 100 }
	tests := []struct {
		name  string
		qname string
		depth func() int
		opts  checks.QueueOptions
		field string // "" when valid
	}{
		{"count", "jobs", depth, checks.QueueOptions{DegradedAbove: 10, UnavailableAbove: 20}, ""},
		{"fractions", "jobs", depth, checks.QueueOptions{Capacity: capacity, DegradedFraction: 0.5, UnavailableFraction: 1}, ""},
		{"stuck only", "jobs", depth, checks.QueueOptions{StuckAfter: time.Minute, StuckUnavailable: true}, ""},
		{"empty name", "", depth, checks.QueueOptions{DegradedAbove: 1}, "name"},
		{"name like a DSN", "user@db", depth, checks.QueueOptions{DegradedAbove: 1}, "name"},
		{"nil depth", "jobs", nil, checks.QueueOptions{DegradedAbove: 1}, "depth"},
		{"no threshold", "jobs", depth, checks.QueueOptions{}, "no threshold"},
		{"negative degraded", "jobs", depth, checks.QueueOptions{DegradedAbove: -1}, "DegradedAbove"},
		{"negative unavailable", "jobs", depth, checks.QueueOptions{UnavailableAbove: -1}, "UnavailableAbove"},
		{"negative stuck", "jobs", depth, checks.QueueOptions{DegradedAbove: 1, StuckAfter: -time.Second}, "StuckAfter"},
		{"stuck unavailable alone", "jobs", depth, checks.QueueOptions{DegradedAbove: 1, StuckUnavailable: true}, "StuckUnavailable"},
		{"degraded not below unavailable", "jobs", depth, checks.QueueOptions{DegradedAbove: 20, UnavailableAbove: 20}, "DegradedAbove"},
		{"both ways", "jobs", depth, checks.QueueOptions{Capacity: capacity, DegradedAbove: 5, DegradedFraction: 0.5}, "DegradedFraction"},
		{"fraction without capacity", "jobs", depth, checks.QueueOptions{UnavailableFraction: 0.9}, "Capacity"},
		{"fraction above 1", "jobs", depth, checks.QueueOptions{Capacity: capacity, UnavailableFraction: 1.5}, "UnavailableFraction"},
		{"NaN fraction", "jobs", depth, checks.QueueOptions{Capacity: capacity, DegradedFraction: math.NaN()}, "DegradedFraction"},
		{"fractions out of order", "jobs", depth, checks.QueueOptions{Capacity: capacity, DegradedFraction: 0.9, UnavailableFraction: 0.5}, "DegradedFraction"},
	}
	for _, tt := range tests {
		check, err := checks.Queue(tt.qname, tt.depth, tt.opts)
		switch {
		case tt.field == "" && (err != nil || check == nil):
			t.Errorf("%s: Queue = %v, want valid", tt.name, err)
		case tt.field != "" && (err == nil || !strings.Contains(err.Error(), tt.field)):
			t.Errorf("%s: Queue = %v, want an error naming %s", tt.name, err, tt.field)
		}
	}
	if _, err := checks.QueueChan("jobs", make(chan int), checks.QueueOptions{DegradedAbove: 1}); err == nil || !strings.Contains(err.Error(), "unbuffered") {
		t.Errorf("QueueChan on an unbuffered channel = %v, want an error", err)
	}
	if _, err := checks.QueueChan[int]("jobs", nil, checks.QueueOptions{DegradedAbove: 1}); err == nil {
		t.Error("QueueChan on a nil channel succeeded")
	}
	// A threshold a channel can never exceed (len(ch) <= cap(ch)) would
	// never fire: a full channel would pass.
	full := make(chan int, 10)
	for i := range cap(full) {
		full <- i
	}
	for _, opts := range []checks.QueueOptions{
		{UnavailableAbove: 10},
		{DegradedAbove: 12},
		{UnavailableFraction: 1},
		{DegradedFraction: 1, UnavailableAbove: 5},
	} {
		check, err := checks.QueueChan("jobs", full, opts)
		if err == nil {
			t.Errorf("QueueChan(cap 10, %+v) accepted; on a full channel the check says %v", opts, call(check, 0))
		}
	}
	// With a Capacity of its own, the fraction is of that.
	if _, err := checks.QueueChan("jobs", full, checks.QueueOptions{UnavailableFraction: 1, Capacity: func() int { return 5 }}); err != nil {
		t.Errorf("QueueChan with its own Capacity and fraction 1: %v", err)
	}
	// A connection string passed as the name is refused without being
	// echoed, whatever else is wrong.
	const dsn = "postgres://app:pw-61c2@db/jobs"
	for _, ch := range []chan int{nil, make(chan int)} {
		if _, err := checks.QueueChan(dsn, ch, checks.QueueOptions{DegradedAbove: 1}); err == nil || strings.Contains(err.Error(), "pw-61c2") {
			t.Errorf("QueueChan with a DSN as name = %v, want an error that does not repeat it", err)
		}
	}
}

// pool is a real worker pool: workers receive jobs from a buffered channel
// and, while stalled, block on each job until released.
type pool struct {
	jobs    chan int
	mu      sync.Mutex
	release chan struct{} // closed to let stalled workers go on
	wg      sync.WaitGroup
}

func newPool(workers, capacity int) *pool {
	p := &pool{jobs: make(chan int, capacity), release: make(chan struct{})}
	close(p.release) // not stalled
	for range workers {
		p.wg.Go(func() {
			for range p.jobs {
				p.mu.Lock()
				gate := p.release
				p.mu.Unlock()
				<-gate // a stalled dependency: the job cannot finish
			}
		})
	}
	return p
}

func (p *pool) stall() { p.mu.Lock(); p.release = make(chan struct{}); p.mu.Unlock() }

func (p *pool) resume() { p.mu.Lock(); close(p.release); p.mu.Unlock() }

// stop releases the workers, drains the pool and waits for them.
func (p *pool) stop() {
	p.mu.Lock()
	select {
	case <-p.release:
	default:
		close(p.release)
	}
	p.mu.Unlock()
	close(p.jobs)
	p.wg.Wait()
}

// A stalled worker pool fills its channel: the check reports the backlog by
// count, by fraction of the capacity, and as stuck once it has not gone
// down for StuckAfter; released, the pool drains and the check passes.
func TestQueueOfAStalledPool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     checks.QueueOptions
		want     string // the reason once the backlog of 60 is stuck
		degraded bool
	}{
		{"count", checks.QueueOptions{DegradedAbove: 20, UnavailableAbove: 50}, "queue jobs: 60 waiting (max 50)", false},
		{"count, degraded", checks.QueueOptions{DegradedAbove: 20, UnavailableAbove: 80}, "queue jobs: 60 waiting (max 20)", true},
		{"fraction", checks.QueueOptions{DegradedFraction: 0.25, UnavailableFraction: 0.5}, "queue jobs: 60 of 100 waiting (max 50%)", false},
		{"fraction, degraded", checks.QueueOptions{DegradedFraction: 0.5, UnavailableFraction: 0.9}, "queue jobs: 60 of 100 waiting (max 50%)", true},
		{"stuck", checks.QueueOptions{UnavailableAbove: 80, StuckAfter: 20 * time.Millisecond}, "queue jobs: 60 waiting, not going down for ", true},
		{"stuck, unavailable", checks.QueueOptions{DegradedAbove: 10, StuckAfter: 20 * time.Millisecond, StuckUnavailable: true}, "queue jobs: 60 waiting, not going down for ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const workers = 4
			p := newPool(workers, 100)
			defer p.stop()
			check := must(t)(checks.QueueChan("jobs", p.jobs, tt.opts))
			_ = wantReason(t, call(check, 0), "", "")

			p.stall()
			for i := range workers { // one job each: every worker is now stuck on it
				p.jobs <- i
			}
			waitUntil(t, func() bool { return len(p.jobs) == 0 })
			for i := range 60 {
				p.jobs <- i
			}
			deadline := time.Now().Add(10 * time.Second)
			var err error
			for err = call(check, 0); err == nil || !strings.HasPrefix(mustFail(t, err).Reason, tt.want); err = call(check, 0) {
				if time.Now().After(deadline) {
					t.Fatalf("check = %v, want %q", err, tt.want)
				}
				time.Sleep(5 * time.Millisecond) // pacing: stuck is measured between calls
			}
			if ce := mustFail(t, err); ce.Degraded != tt.degraded {
				t.Fatalf("check = %q, degraded %v; want degraded %v", ce.Reason, ce.Degraded, tt.degraded)
			}

			p.resume()
			waitUntil(t, func() bool { return call(check, 0) == nil })
		})
	}
}

// A backlog that goes down between calls is not stuck, even if it is long.
func TestQueueDraining(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	n := 50
	depth := func() int { mu.Lock(); defer mu.Unlock(); return n }
	check := must(t)(checks.Queue("jobs", depth, checks.QueueOptions{StuckAfter: time.Nanosecond}))
	for n > 1 {
		if err := call(check, 0); err != nil {
			t.Fatalf("at %d: check = %v, want healthy while the backlog goes down", n, err)
		}
		mu.Lock()
		n--
		mu.Unlock()
	}
	// Not going down any more: stuck after a nanosecond.
	waitUntil(t, func() bool { return call(check, 0) != nil })
	if ce := mustFail(t, call(check, 0)); !strings.HasPrefix(ce.Reason, "queue jobs: 1 waiting, not going down for ") || !ce.Degraded {
		t.Fatalf("check = %q (degraded %v), want a degraded stuck backlog", ce.Reason, ce.Degraded)
	}
	mu.Lock()
	n = 0
	mu.Unlock()
	_ = wantReason(t, call(check, 0), "", "") // empty: not stuck
}

// waitUntil polls cond until it holds, failing the test after 10s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// The check on a channel: two loads and a lock, no allocation while
// healthy. The baseline is len and cap of the channel.
func BenchmarkQueue(b *testing.B) {
	ch := make(chan int, 100)
	b.Run("baseline: len(ch)", func(b *testing.B) {
		b.ReportAllocs()
		var sink int
		for b.Loop() {
			sink += len(ch) + cap(ch)
		}
		_ = sink
	})
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		check, err := checks.QueueChan("jobs", ch, checks.QueueOptions{UnavailableFraction: 0.9, StuckAfter: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		for b.Loop() {
			if err := check(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
