package otelhealth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// providers are the set-ups the benchmarks compare.
var providers = []struct {
	name string
	make func(b *testing.B) (trace.TracerProvider, metric.MeterProvider)
}{
	// noop: the API without an SDK, what a library's user pays before
	// installing one.
	{"noop", func(*testing.B) (trace.TracerProvider, metric.MeterProvider) {
		return tracenoop.NewTracerProvider(), metricnoop.NewMeterProvider()
	}},
	// sdk: every span sampled and ended (no exporter: export is the
	// processor's cost, not this package's), metrics aggregated.
	{"sdk", func(b *testing.B) (trace.TracerProvider, metric.MeterProvider) {
		return sdkProviders(b, sdktrace.AlwaysSample())
	}},
	// sdk-unsampled: the SDK with a sampler that drops check-run traces.
	{"sdk-unsampled", func(b *testing.B) (trace.TracerProvider, metric.MeterProvider) {
		return sdkProviders(b, sdktrace.NeverSample())
	}},
}

func sdkProviders(b *testing.B, sampler sdktrace.Sampler) (trace.TracerProvider, metric.MeterProvider) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return tp, mp
}

// BenchmarkObserveResult: what the observer adds to each check run, called
// directly as the registry calls it. Target: <= 1 µs per result. The
// baseline is an observer that does nothing; "failed" results add the
// reason, the exception event and the error status.
func BenchmarkObserveResult(b *testing.B) {
	h := newRegistry(b, core.Options{})
	if err := h.Register(core.Check{Name: "postgres", Check: func(context.Context) error { return nil }}); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	ok := core.Result{Name: "postgres", Status: core.StatusOK, Duration: 2 * time.Millisecond, Time: now, LastSuccess: now, Critical: true}
	failed := ok
	failed.Status, failed.Err, failed.Message, failed.ConsecutiveFailures = core.StatusUnavailable, errors.New("dial tcp 10.0.0.7:5432: connect: connection refused"), "connection refused", 3

	b.Run("baseline", func(b *testing.B) {
		var o core.Observer = nopObserver{}
		b.ReportAllocs()
		for b.Loop() {
			o.ObserveResult(ok)
		}
	})
	for _, p := range providers {
		for _, r := range []struct {
			name string
			res  core.Result
		}{{"ok", ok}, {"failed", failed}} {
			b.Run(p.name+"/"+r.name, func(b *testing.B) {
				tp, mp := p.make(b)
				o, reg, err := newObserver(h, Options{TracerProvider: tp, MeterProvider: mp})
				if err != nil {
					b.Fatal(err)
				}
				defer func() { _ = reg.Unregister() }()
				o.ObserveResult(r.res)
				b.ReportAllocs()
				for b.Loop() {
					o.ObserveResult(r.res)
				}
			})
		}
	}
}

type nopObserver struct{}

func (nopObserver) ObserveResult(core.Result)         {}
func (nopObserver) ObserveTransition(core.Transition) {}

// BenchmarkEvaluate: a synchronous readiness evaluation of one instant
// check, end to end, without otelhealth (baseline) and with it: the
// difference is the observer's cost in a real run, among the registry's
// own goroutine and timer.
func BenchmarkEvaluate(b *testing.B) {
	run := func(b *testing.B, attach func(h *core.Registry)) {
		h := newRegistry(b, core.Options{})
		if err := h.Register(core.Check{Name: "postgres", Check: func(context.Context) error { return nil }}); err != nil {
			b.Fatal(err)
		}
		attach(h)
		h.MarkStarted()
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if rep, _ := h.Evaluate(ctx, core.Readiness); rep.Status != core.StatusOK {
				b.Fatal(rep.Status)
			}
		}
	}
	b.Run("baseline", func(b *testing.B) { run(b, func(*core.Registry) {}) })
	for _, p := range providers {
		b.Run(p.name, func(b *testing.B) {
			run(b, func(h *core.Registry) { attachBench(b, h, p.make) })
		})
	}
}

func attachBench(b *testing.B, h *core.Registry, make func(*testing.B) (trace.TracerProvider, metric.MeterProvider)) {
	tp, mp := make(b)
	tel, err := New(h, Options{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Close() })
}

// BenchmarkProbeCached: a readiness probe answered from background results,
// without otelhealth (baseline) and with it on the SDK. Target: 0 allocs in
// both: observers run on check runs, never on the cached probe path.
func BenchmarkProbeCached(b *testing.B) {
	run := func(b *testing.B, attach func(h *core.Registry)) {
		h := newRegistry(b, core.Options{})
		if err := h.Register(core.Check{Name: "postgres", Interval: time.Hour, Check: func(context.Context) error { return nil }}); err != nil {
			b.Fatal(err)
		}
		attach(h)
		if err := h.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		handler := h.Handler()
		req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
		w := &discardWriter{h: make(http.Header)}
		deadline := time.Now().Add(10 * time.Second)
		for handler.ServeHTTP(w, req); w.code != http.StatusOK; handler.ServeHTTP(w, req) {
			if time.Now().After(deadline) {
				b.Fatalf("readiness %d after 10s, want 200", w.code)
			}
			time.Sleep(time.Millisecond)
			w.reset()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			w.reset()
			handler.ServeHTTP(w, req)
		}
	}
	b.Run("baseline", func(b *testing.B) { run(b, func(*core.Registry) {}) })
	b.Run("sdk", func(b *testing.B) {
		run(b, func(h *core.Registry) { attachBench(b, h, providers[1].make) })
	})
}

// discardWriter is a reusable http.ResponseWriter that keeps the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(code int) { w.code = code }
func (w *discardWriter) reset() {
	clear(w.h)
	w.code = 0
}
