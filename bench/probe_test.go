package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCached: GET /readyz with 5 checks run in the background, each
// library in its caching mode (probekit: Interval; alexliesenfeld:
// WithPeriodicCheck; go-sundheit: its only mode). health-go has none.
func BenchmarkCached(b *testing.B) {
	for _, l := range libs {
		if l.cached == nil {
			continue
		}
		b.Run(l.name, func(b *testing.B) { serveLoop(b, l.cached(b, fiveInstant())) })
	}
}

// BenchmarkSync: GET /readyz running 5 instant checks on every probe
// (alexliesenfeld with its result cache off). go-sundheit has no such mode.
func BenchmarkSync(b *testing.B) {
	for _, l := range libs {
		if l.sync == nil {
			continue
		}
		b.Run(l.name, func(b *testing.B) { serveLoop(b, l.sync(b, fiveInstant())) })
	}
}

const (
	stormProbes = 1000
	stormCheck  = 20 * time.Millisecond
)

// BenchmarkStorm: one iteration is a wave of 1,000 concurrent probes on a
// fresh instance whose one check takes 20 ms; calls/wave is how often the
// dependency was called, 503/wave how many probes failed. Each library runs
// its default configuration for checks run by probes (alexliesenfeld: a
// 1 s result cache). go-sundheit's probes never run checks.
func BenchmarkStorm(b *testing.B) {
	for _, l := range stormLibs {
		build := l.storm
		if build == nil {
			build = l.sync
		}
		if build == nil {
			continue
		}
		b.Run(l.name, func(b *testing.B) {
			var calls, failed int64
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				var n atomic.Int64
				dep := func(ctx context.Context) error {
					n.Add(1)
					t := time.NewTimer(stormCheck)
					defer t.Stop()
					select {
					case <-t.C:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				s := &scope{TB: b}
				h := build(s, []check{{name: "dep", fn: dep}})
				b.StartTimer()
				failed += wave(h, stormProbes)
				b.StopTimer()
				s.close()
				calls += n.Load()
				b.StartTimer()
			}
			b.ReportMetric(float64(calls)/float64(b.N), "calls/wave")
			b.ReportMetric(float64(failed)/float64(b.N), "503/wave")
		})
	}
}

// wave serves n probes through h at once and returns how many were not 200.
func wave(h http.Handler, n int) int64 {
	start := make(chan struct{})
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range n {
		req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
		wg.Go(func() {
			w := newDiscardWriter()
			<-start
			h.ServeHTTP(w, req)
			if w.code != http.StatusOK {
				failed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	return failed.Load()
}

// scope collects the cleanups of one library instance, so that a benchmark
// can tear it down before measuring what it left behind; the rest of
// testing.TB goes to the benchmark.
type scope struct {
	testing.TB
	cleanups []func()
}

func (s *scope) Cleanup(f func()) { s.cleanups = append(s.cleanups, f) }

func (s *scope) close() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
}
