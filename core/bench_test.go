package core

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
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
// call on a worker goroutine, without the handler and the encoding.
func BenchmarkEvaluateSync(b *testing.B) {
	r := newTestRegistry(b, Options{})
	for i := range 5 {
		_ = r.Register(Check{Name: fmt.Sprintf("dep%d", i), Check: ok})
	}
	r.MarkStarted()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var ev evaluation
		if rep := r.evaluate(ctx, Readiness, nil, &ev); rep.Status != StatusOK {
			b.Fatal(rep.Status)
		}
		ev.release()
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

// BenchmarkProbeSync5Instant: /readyz through the handler with 5
// synchronous checks that return at once, the common case of the
// synchronous path. Target: <= 5 µs/op and <= 10 allocs/op. The baseline is
// the least any concurrent runner does for the same answer: one goroutine
// per check, a WaitGroup, and the same JSON body.
func BenchmarkProbeSync5Instant(b *testing.B) {
	b.Run("baseline", func(b *testing.B) {
		checks := make([]CheckFunc, 5)
		for i := range checks {
			checks[i] = ok
		}
		rep := Report{Kind: Readiness, Status: StatusOK, Checks: make([]Result, 5)}
		for i := range rep.Checks {
			rep.Checks[i] = Result{Name: fmt.Sprintf("dep%d", i), Status: StatusOK, Critical: true}
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			var wg sync.WaitGroup
			errs := make([]error, len(checks))
			for i, c := range checks {
				wg.Go(func() { errs[i] = c(ctx) })
			}
			wg.Wait()
			rep.Time = time.Now()
			_ = appendJSON(make([]byte, 0, 1024), &rep, meta{service: "svc"})
		}
	})
	// probe: every probe calls the 5 checks (the default).
	// reused: every probe reuses the calls of the first (a ReuseWindow).
	for _, bc := range []struct {
		name  string
		reuse time.Duration
	}{{"probe", 0}, {"reused", time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			r := newTestRegistry(b, Options{})
			for i := range 5 {
				_ = r.Register(Check{Name: fmt.Sprintf("dep%d", i), Check: ok, ReuseWindow: bc.reuse})
			}
			r.MarkStarted()
			h := r.Handler()
			req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
			w := &discardWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkProbeStorm: waves of 1,000 concurrent /readyz probes on one
// synchronous check that takes 20 ms. It reports the check's calls per wave
// beside the time a whole wave takes: with the default (no reuse) the
// probes that arrive while the call runs share it, and those that arrive
// after it start another; with a ReuseWindow those reuse its result, and a
// wave calls the check exactly once (target). Between waves the benchmark
// waits, untimed, past the window, so that each wave must call the check.
func BenchmarkProbeStorm(b *testing.B) {
	const (
		probes = 1000
		window = time.Second // the cache alexliesenfeld/health keeps by default
	)
	for _, bc := range []struct {
		name  string
		reuse time.Duration
	}{{"default", 0}, {"reuse=1s", window}} {
		b.Run(bc.name, func(b *testing.B) {
			r := newTestRegistry(b, Options{})
			var calls atomic.Int64
			_ = r.Register(Check{Name: "db", ReuseWindow: bc.reuse, Check: func(ctx context.Context) error {
				calls.Add(1)
				t := time.NewTimer(20 * time.Millisecond)
				defer t.Stop()
				select {
				case <-t.C:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}})
			r.MarkStarted()
			h := r.Handler()
			b.ReportAllocs()
			waves := 0
			for b.Loop() {
				var wg sync.WaitGroup
				for range probes {
					wg.Go(func() {
						req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
						h.ServeHTTP(&discardWriter{h: make(http.Header)}, req)
					})
				}
				wg.Wait()
				waves++
				b.StopTimer()
				if bc.reuse > 0 {
					time.Sleep(bc.reuse + 10*time.Millisecond)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(calls.Load())/float64(waves), "calls/wave")
		})
	}
}
