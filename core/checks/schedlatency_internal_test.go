package checks

import (
	"context"
	"testing"
	"time"
)

// The window's base is the newest snapshot at least Window old, else the
// oldest kept; snapshots are kept at most every Window/8, over the oldest.
func TestSchedLatencyWindow(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { return now }
	tests := []struct {
		name     string
		every    time.Duration // between calls
		calls    int
		wantBase time.Duration // base of the next call, before it
	}{
		// First call: the construction's snapshot.
		{"first call", time.Second, 0, 0},
		// Called every second, window 8s: the base is 8s back once the
		// check has run that long (the next call is at 21s).
		{"steady", time.Second, 20, 13 * time.Second},
		// Called every 100ms: snapshots only every second (Window/8), the
		// base at most a step more than the window back (the next call is
		// at 20.1s).
		{"often", 100 * time.Millisecond, 200, 12 * time.Second},
		// Called every 20s, less often than the window: the previous call
		// (at 100s; the next is at 120s).
		{"rarely", 20 * time.Second, 5, 100 * time.Second},
		// Not yet a window old: the construction's snapshot.
		{"young", time.Second, 5, 0},
	}
	for _, tt := range tests {
		now = start
		s, err := newSchedLatency(SchedulerLatencyOptions{Window: 8 * time.Second, UnavailableAbove: time.Hour, DegradedAbove: time.Minute}, clock)
		if err != nil {
			t.Fatal(err)
		}
		for range tt.calls {
			now = now.Add(tt.every)
			_ = s.check(context.Background())
		}
		now = now.Add(tt.every)
		s.mu.Lock()
		got := s.base(now).at.Sub(start)
		s.mu.Unlock()
		if got != tt.wantBase {
			t.Errorf("%s: base at %v after the start, want %v", tt.name, got, tt.wantBase)
		}
	}
}

func TestPercentText(t *testing.T) {
	t.Parallel()
	for f, want := range map[float64]string{0.99: "99", 0.999: "99.9", 0.5: "50", 1: "100", 0.9999: "99.99"} {
		if got := percentText(f); got != want {
			t.Errorf("percentText(%v) = %q, want %q", f, got, want)
		}
	}
}

// The zero options take the documented defaults: p99, 50ms, 250ms, 30s
// and 20 events.
func TestSchedLatencyDefaults(t *testing.T) {
	t.Parallel()
	s, err := newSchedLatency(SchedulerLatencyOptions{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	want := SchedulerLatencyOptions{Percentile: 0.99, DegradedAbove: 50 * time.Millisecond,
		UnavailableAbove: 250 * time.Millisecond, Window: 30 * time.Second, MinEvents: 20}
	if s.opts != want {
		t.Errorf("defaults = %+v, want %+v", s.opts, want)
	}
}
