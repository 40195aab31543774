package core

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// discardWriter is a reusable http.ResponseWriter, so the benchmark measures
// the handler and not a recorder's allocations.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

func (w *discardWriter) WriteHeader(int) {}

func (w *discardWriter) reset() { clear(w.h) }

// BenchmarkProbeCached: /readyz with 5 background checks, served from the
// pre-rendered fast path. Target: <= 500 ns/op, 0 allocs/op.
func BenchmarkProbeCached(b *testing.B) {
	r := newTestRegistry(b, Options{})
	for i := range 5 {
		_ = r.Register(Check{Name: fmt.Sprintf("dep%d", i), Interval: time.Hour, Check: ok})
	}
	if err := r.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	waitReady(b, r)
	h := r.Handler()
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	w := &discardWriter{h: make(http.Header)}
	h.ServeHTTP(w, req)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, req)
	}
}

// BenchmarkEvaluateSync: readiness with 5 synchronous instant checks, each
// run in its own goroutine with its own deadline.
func BenchmarkEvaluateSync(b *testing.B) {
	r := newTestRegistry(b, Options{})
	for i := range 5 {
		_ = r.Register(Check{Name: fmt.Sprintf("dep%d", i), Check: ok})
	}
	r.MarkStarted()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if rep := r.evaluate(ctx, Readiness, nil); rep.Status != StatusOK {
			b.Fatal(rep.Status)
		}
	}
}

// BenchmarkInFlight: the drain middleware's cost. Target: <= 20 ns/op, 0 allocs.
func BenchmarkInFlight(b *testing.B) {
	var f InFlight
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f.Enter()
			f.Leave()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				f.Enter()
				f.Leave()
			}
		})
	})
}

func waitReady(b *testing.B, r *Registry) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		rep, _ := r.Evaluate(context.Background(), Readiness)
		if rep.Status == StatusOK {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("checks never passed")
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkIsProbePath is the drain middlewares' per-request question.
func BenchmarkIsProbePath(b *testing.B) {
	r := newTestRegistry(b, Options{})
	r.MountedAt("/internal")
	for _, path := range []string{"/app/orders", "/readyz", "/internal/readyz", "/r"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.IsProbePath(path)
			}
		})
	}
}
