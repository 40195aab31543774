package checks_test

import (
	"context"
	"math"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

func TestSchedulerLatencyOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  checks.SchedulerLatencyOptions
		field string // "" when valid
	}{
		{"defaults", checks.SchedulerLatencyOptions{}, ""},
		{"all set", checks.SchedulerLatencyOptions{Percentile: 0.999, DegradedAbove: 10 * time.Millisecond, UnavailableAbove: time.Second, Window: time.Minute, MinEvents: 5}, ""},
		{"percentile 1", checks.SchedulerLatencyOptions{Percentile: 1}, ""},
		{"percentile above 1", checks.SchedulerLatencyOptions{Percentile: 99}, "Percentile"},
		{"negative percentile", checks.SchedulerLatencyOptions{Percentile: -0.5}, "Percentile"},
		{"NaN percentile", checks.SchedulerLatencyOptions{Percentile: math.NaN()}, "Percentile"},
		{"negative degraded", checks.SchedulerLatencyOptions{DegradedAbove: -time.Millisecond}, "DegradedAbove"},
		{"negative unavailable", checks.SchedulerLatencyOptions{UnavailableAbove: -time.Millisecond}, "UnavailableAbove"},
		{"negative window", checks.SchedulerLatencyOptions{Window: -time.Second}, "Window"},
		{"degraded above the default unavailable", checks.SchedulerLatencyOptions{DegradedAbove: time.Second}, "DegradedAbove"},
		{"degraded equal to unavailable", checks.SchedulerLatencyOptions{DegradedAbove: time.Second, UnavailableAbove: time.Second}, "DegradedAbove"},
	}
	for _, tt := range tests {
		check, err := checks.SchedulerLatency(tt.opts)
		switch {
		case tt.field == "" && (err != nil || check == nil):
			t.Errorf("%s: SchedulerLatency = %v, want valid", tt.name, err)
		case tt.field != "" && (err == nil || !strings.Contains(err.Error(), tt.field)):
			t.Errorf("%s: SchedulerLatency = %v, want an error naming %s", tt.name, err, tt.field)
		}
	}
}

// hog starves the scheduler for a moment: with GOMAXPROCS(1), n goroutines
// spinning for spin each wait in the run queue while the others run, and
// every one of their preemptions is a scheduling latency of several
// milliseconds. It returns when all have stopped spinning.
func hog(n int, spin time.Duration) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for start := time.Now(); time.Since(start) < spin; {
			}
		})
	}
	wg.Wait()
}

// Real starvation makes the check report it: goroutines spinning on a
// single P keep each other waiting for tens of milliseconds, far above the
// test's thresholds of a millisecond. No timing is asserted: the load is
// repeated until the check has seen it (the runtime samples one goroutine
// switch in eight), and once the load stops, the window slides past it.
func TestSchedulerLatencyUnderLoad(t *testing.T) {
	// Not parallel: GOMAXPROCS is the process's.
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)

	tests := []struct {
		name     string
		opts     checks.SchedulerLatencyOptions
		degraded bool
		suffix   string
	}{
		{"degraded", checks.SchedulerLatencyOptions{Percentile: 0.9, DegradedAbove: time.Millisecond, UnavailableAbove: time.Hour, Window: 300 * time.Millisecond, MinEvents: 1}, true, " over 1ms"},
		{"unavailable", checks.SchedulerLatencyOptions{Percentile: 0.9, DegradedAbove: 500 * time.Microsecond, UnavailableAbove: time.Millisecond, Window: 300 * time.Millisecond, MinEvents: 1}, false, " over 1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GOMAXPROCS(1)
			check := must(t)(checks.SchedulerLatency(tt.opts))
			deadline := time.Now().Add(60 * time.Second)
			var err error
			for {
				hog(8, 50*time.Millisecond)
				if err = call(check, 0); err != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the check never saw the starved scheduler")
				}
			}
			ce := mustFail(t, err)
			if !strings.HasPrefix(ce.Reason, "scheduler p90 latency ") || !strings.HasSuffix(ce.Reason, tt.suffix) || ce.Degraded != tt.degraded {
				t.Fatalf("check = %q (degraded %v), want %q...%q (degraded %v)", ce.Reason, ce.Degraded, "scheduler p90 latency ", tt.suffix, tt.degraded)
			}
			t.Logf("under load: %s (%v)", ce.Reason, ce.Err)

			// Load off: once the window has slid past the starvation, the
			// check passes again.
			runtime.GOMAXPROCS(prev)
			for err = call(check, 0); err != nil; err = call(check, 0) {
				if time.Now().After(deadline) {
					t.Fatalf("the check still fails long after the load stopped: %v", err)
				}
				time.Sleep(20 * time.Millisecond) // pacing: the window moves with the clock
			}
		})
	}
}

// The check itself: one runtime/metrics read into the buffers it reuses,
// no allocation. The baseline is the bare read of the same histogram.
func BenchmarkSchedulerLatency(b *testing.B) {
	b.Run("baseline: metrics.Read", func(b *testing.B) {
		b.ReportAllocs()
		s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
		for b.Loop() {
			metrics.Read(s)
		}
	})
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		check, err := checks.SchedulerLatency(checks.SchedulerLatencyOptions{UnavailableAbove: time.Hour, DegradedAbove: 50 * time.Minute})
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
