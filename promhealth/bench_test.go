package promhealth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// withChecks returns a registry with n checks, each run once, and a
// Prometheus registry holding its Collector (or no collector: the baseline).
func withChecks(b *testing.B, n int, collect bool) (*core.Registry, *prometheus.Registry) {
	b.Helper()
	h := newRegistry(b, core.Options{})
	reg := prometheus.NewRegistry()
	if collect {
		c := newCollector(b, h, Options{})
		if err := reg.Register(c); err != nil {
			b.Fatal(err)
		}
	}
	for i := range n {
		if err := h.Register(core.Check{Name: fmt.Sprintf("check-%02d", i), Check: func(context.Context) error { return nil }}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := h.Evaluate(context.Background(), core.Readiness); err != nil {
		b.Fatal(err)
	}
	return h, reg
}

// BenchmarkObserveResult is what the Collector adds to each check run
// (target: ≤ 1 µs, no allocation). The baseline is an observer that does
// nothing, the cost every observer pays anyway.
func BenchmarkObserveResult(b *testing.B) {
	h := newRegistry(b, core.Options{})
	c := newCollector(b, h, Options{})
	res := core.Result{Name: "db", Status: core.StatusOK, Duration: 3 * time.Millisecond, Time: time.Now(), LastSuccess: time.Now()}
	failed := res
	failed.Err, failed.Status, failed.ConsecutiveFailures = errors.New("down"), core.StatusUnavailable, 3
	for _, bb := range []struct {
		name string
		o    core.Observer
	}{{"baseline-noop", noop{}}, {"collector", observer{c}}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i&1 == 0 {
					bb.o.ObserveResult(res)
				} else {
					bb.o.ObserveResult(failed)
				}
			}
		})
	}
}

type noop struct{}

func (noop) ObserveResult(core.Result)         {}
func (noop) ObserveTransition(core.Transition) {}

// BenchmarkCachedProbe checks that the Collector adds nothing to a probe
// answered without running a check (the liveness probe here has no check;
// a background check's probe is the same path): no observer is called, so
// the time and the allocations (none) are the same with and without it.
func BenchmarkCachedProbe(b *testing.B) {
	for _, collect := range []bool{false, true} {
		b.Run(fmt.Sprintf("collector=%v", collect), func(b *testing.B) {
			h, _ := withChecks(b, 5, collect)
			handler := h.Handler()
			req := httptest.NewRequest(http.MethodGet, "/livez", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				handler.ServeHTTP(w, req)
			}
		})
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkScrape is a scrape of 50 checks: Collect alone, Gather (what
// promhttp does before encoding), and the whole /metrics handler. The
// baseline is the same registry without the Collector.
func BenchmarkScrape(b *testing.B) {
	for _, collect := range []bool{false, true} {
		_, reg := withChecks(b, 50, collect)
		name := "baseline"
		if collect {
			name = "collector"
		}
		b.Run(name+"/gather", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := reg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
		handler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		b.Run(name+"/http", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				handler.ServeHTTP(&discardWriter{h: http.Header{}}, req)
			}
		})
	}
	h, _ := withChecks(b, 50, false)
	c := newCollector(b, h, Options{})
	b.Run("collector/collect", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan prometheus.Metric, 1024)
		for b.Loop() {
			c.Collect(ch)
			for len(ch) > 0 {
				<-ch
			}
		}
	})
}
