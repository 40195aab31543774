package conformance

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// The benchmark harness the adapters share: each benchmark compares its
// framework's bare route with the same route behind Drain, and probes
// /readyz in its steady state, in the same run.

// BenchRegistry returns a started registry with five background checks (an
// hour apart) that have all passed once: the kubelet's steady state, where
// /readyz answers from the pre-rendered cache. It is closed when b ends.
func BenchRegistry(b *testing.B) *core.Registry {
	b.Helper()
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 5 {
		c := core.Check{Name: fmt.Sprintf("dep%d", i), Interval: time.Hour, Check: func(context.Context) error { return nil }}
		if err := h.Register(c); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(func() {
		cancel()
		_ = h.Close()
	})
	if err := h.Start(ctx); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		rep, err := h.Evaluate(context.Background(), core.Readiness)
		if err == nil && rep.Status == core.StatusOK {
			return h
		}
		if time.Now().After(deadline) {
			b.Fatalf("background checks not ok after %v: %+v, %v", waitTimeout, rep, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchHandler serves GET target through handler once and fails b unless
// the status is want, then serves the same request in b's loop (see
// [BenchLoop]). The ResponseWriter is reused and keeps nothing, so that the
// benchmark measures the handler (a router, its middleware), not a recorder.
func BenchHandler(b *testing.B, handler http.Handler, target string, want int) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	w := &discardWriter{header: http.Header{}}
	handler.ServeHTTP(w, req)
	if w.code != want {
		b.Fatalf("GET %s = %d, want %d", target, w.code, want)
	}
	BenchLoop(b, func() { handler.ServeHTTP(w, req) })
}

// BenchLoop calls serve in b's loop, reporting allocations and, where the
// system offers a per-thread CPU clock (Linux), the CPU time of the
// benchmark's thread per call as the extra metric "cpu-ns/op". ns/op is wall
// time, which a loaded machine inflates by whatever ran in between;
// cpu-ns/op counts only the time the loop ran, so it stays comparable
// between runs on a busy machine.
func BenchLoop(b *testing.B, serve func()) {
	b.Helper()
	runtime.LockOSThread() // the thread's clock must be the loop's
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	start, ok := threadCPUTime()
	for b.Loop() {
		serve()
	}
	if end, ok2 := threadCPUTime(); ok && ok2 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

// AllocsPerRequest serves GET target through handler once, so that what
// the handler learns from a first request is learnt, and returns the
// average allocations of the same request after it, served with the
// ResponseWriter BenchHandler uses. testing.AllocsPerRun counts the whole
// process: the caller's test must not run in parallel with others.
func AllocsPerRequest(handler http.Handler, target string) float64 {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	w := &discardWriter{header: http.Header{}}
	handler.ServeHTTP(w, req)
	return testing.AllocsPerRun(100, func() { handler.ServeHTTP(w, req) })
}

// discardWriter is a ResponseWriter that remembers the status code only.
type discardWriter struct {
	header http.Header
	code   int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(b), nil
}

func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
