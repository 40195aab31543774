package core

import (
	"sync/atomic"
	"testing"
)

// Enter and Leave, which every drain middleware calls per request, are one
// atomic add each although the word also counts arrivals for the adaptive
// propagation delay: the same cost as a bare counter (the baseline, which
// is what InFlight was before it counted arrivals), no allocation.
func BenchmarkInFlightArrivals(b *testing.B) {
	b.Run("serial/baseline: atomic.Int64", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Int64
		var waiting atomic.Bool
		for b.Loop() {
			n.Add(1)
			if n.Add(-1) == 0 && waiting.Load() {
				b.Fatal("unreachable")
			}
		}
	})
	b.Run("serial/InFlight", func(b *testing.B) {
		b.ReportAllocs()
		var f InFlight
		for b.Loop() {
			f.Enter()
			f.Leave()
		}
	})
	b.Run("parallel/baseline: atomic.Int64", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Int64
		var waiting atomic.Bool
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n.Add(1)
				if n.Add(-1) == 0 && waiting.Load() {
					panic("unreachable")
				}
			}
		})
	})
	b.Run("parallel/InFlight", func(b *testing.B) {
		b.ReportAllocs()
		var f InFlight
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				f.Enter()
				f.Leave()
			}
		})
	})
}
