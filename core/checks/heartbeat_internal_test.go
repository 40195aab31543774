package checks

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// fakeClock is a settable clock for Heartbeat.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestHeartbeat(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Now()}
	h, err := newHeartbeat("consumer", 30*time.Second, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance time.Duration
		beat    bool
		want    string // reason; "" means healthy
	}{
		{advance: 0},
		{advance: 30 * time.Second}, // exactly maxAge: still fresh
		{advance: 15 * time.Second, want: "heartbeat consumer: no beat yet, 45s after start (max 30s)"},
		{advance: 0, beat: true}, // the loop starts
		{advance: 29 * time.Second},
		{advance: 2 * time.Second, want: "heartbeat consumer: no beat for 31s (max 30s)"},
		{advance: 1500 * time.Millisecond, want: "heartbeat consumer: no beat for 32.5s (max 30s)"},
		{advance: 0, beat: true}, // recovers on the next beat
		{advance: time.Second},
	}
	for i, s := range steps {
		clock.advance(s.advance)
		if s.beat {
			h.Beat()
		}
		err := h.Check(context.Background())
		var ce *core.CheckError
		switch {
		case s.want == "" && err != nil:
			t.Fatalf("step %d: check = %v, want healthy", i, err)
		case s.want == "":
		case !errors.As(err, &ce) || ce.Reason != s.want || ce.Degraded:
			t.Fatalf("step %d: check = %v, want the failure %q", i, err, s.want)
		}
	}
	if got := h.Age(); got != time.Second {
		t.Errorf("Age = %v, want 1s", got)
	}
}

func TestHeartbeatOptionErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		maxAge time.Duration
	}{{"", time.Second}, {"worker", 0}, {"worker", -time.Second}} {
		if h, err := NewHeartbeat(tt.name, tt.maxAge); err == nil || h != nil {
			t.Errorf("NewHeartbeat(%q, %v) = %v, want an error", tt.name, tt.maxAge, err)
		}
	}
}

func TestHeartbeatConcurrentBeats(t *testing.T) {
	t.Parallel()
	h, err := NewHeartbeat("pool", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				h.Beat()
				_ = h.Check(context.Background())
			}
		}()
	}
	wg.Wait()
	if err := h.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkHeartbeatBeat(b *testing.B) {
	h, err := NewHeartbeat("loop", time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Beat()
	}
}

func BenchmarkHeartbeatCheck(b *testing.B) {
	h, err := NewHeartbeat("loop", time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	h.Beat()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Check(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
