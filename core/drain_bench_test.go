package core

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// The drain middleware's overhead: BenchmarkDrain against
// BenchmarkNoopMiddleware, the same handler behind a middleware that only
// calls next (target: Drain within 15 ns of it, 0 allocs). Compare them with
//
//	go test -run '^$' -bench 'NoopMiddleware|Drain$' -count 6 ./core > out.txt
//	benchstat -col .name out.txt

// noopMiddleware is the baseline: a middleware that only calls next.
func noopMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { next.ServeHTTP(w, req) })
}

// drainRegistry is a registry with its probes mounted at the root, as
// Handler mounts them: the set-up every Drain benchmark and guard shares.
func drainRegistry(tb testing.TB) *Registry {
	r := newTestRegistry(tb, Options{})
	_ = r.Handler()
	return r
}

// benchMiddleware serves a request through a handler that does nothing,
// behind mw once and ten times in a row (see depths in the adapters'
// benchmarks): the latter multiplies mw's cost against the noise.
func benchMiddleware(b *testing.B, mw func(http.Handler) http.Handler) {
	for _, depth := range []int{1, 10} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			h := http.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			for range depth {
				h = mw(h)
			}
			req := httptest.NewRequest(http.MethodGet, "/app/orders", nil)
			w := &discardWriter{h: make(http.Header)}
			benchLoop(b, func() { h.ServeHTTP(w, req) })
		})
	}
}

// benchLoop is conformance.BenchLoop: serve in b's loop, reporting
// allocations and the thread's CPU time per call ("cpu-ns/op"), which a
// loaded machine does not inflate as it does ns/op.
func benchLoop(b *testing.B, serve func()) {
	runtime.LockOSThread()
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

func BenchmarkNoopMiddleware(b *testing.B) { benchMiddleware(b, noopMiddleware) }

func BenchmarkDrain(b *testing.B) { benchMiddleware(b, drainRegistry(b).Drain) }

// TestDrainNoAlloc guards Drain's promise of no allocation per request, for
// an application request, a probe, and a request while draining. Not
// parallel: AllocsPerRun counts the whole process's allocations.
func TestDrainNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond})
	r.MarkStarted()
	h := r.Drain(r.Handler())
	w := &discardWriter{h: make(http.Header)}
	for _, target := range []string{"/app/orders", "/readyz", "/ready%7A"} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, req) }); n != 0 {
			t.Errorf("GET %s through Drain: %v allocs, want 0", target, n)
		}
	}
	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/app/orders", nil)
	if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, req) }); n != 0 {
		t.Errorf("GET /app/orders through Drain while draining: %v allocs, want 0", n)
	}
}

// TestCachedReadyzNoAlloc guards the cached probe's promise of no
// allocation: /readyz answered by Handler from the pre-rendered response.
func TestCachedReadyzNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	r := drainRegistry(t)
	r.MarkStarted()
	h := r.Handler()
	w := &discardWriter{h: make(http.Header)}
	for _, target := range []string{"/readyz", "/livez", "/readyz?verbose"} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		h.ServeHTTP(w, req) // the first probe renders the cache
		if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, req) }); n != 0 {
			t.Errorf("GET %s: %v allocs, want 0", target, n)
		}
	}
}
