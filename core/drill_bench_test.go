package core

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkDrillOverlay: a readiness report of 20 background checks, the
// baseline without a drill (the overlay is one atomic load) against one
// drill in effect (a search per result; the DrillOverride and the message
// allocated).
//
// Measured on 2 shared cores at load ~15 (so the times are noise-bound):
// drill=false 16-23 µs 4656 B 9 allocs; drill=true 14-24 µs 4928 B 11
// allocs. The pre-rendered fast path (BenchmarkProbeCached) is unchanged:
// a drill's start and end re-render it once each.
func BenchmarkDrillOverlay(b *testing.B) {
	for _, drilled := range []bool{false, true} {
		b.Run(fmt.Sprintf("drill=%v", drilled), func(b *testing.B) {
			r := newTestRegistry(b, Options{})
			for i := range 20 {
				_ = r.Register(Check{Name: fmt.Sprintf("dep%02d", i), Interval: time.Hour, Check: ok})
			}
			r.MarkStarted()
			if drilled {
				_ = r.Drill("dep07", DrillOptions{Status: StatusDegraded, Duration: time.Hour, Actor: "bench"})
				defer func() { _, _ = r.EndDrill("dep07", "bench") }()
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				var ev evaluation
				_ = r.evaluate(ctx, Readiness, nil, &ev)
				ev.release()
			}
		})
	}
}
