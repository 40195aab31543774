package chihealth_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
)

// discardWriter is a ResponseWriter that keeps nothing, so that the
// benchmarks measure the router and the middleware, not the recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

// BenchmarkRoute compares a business route with and without Drain: the
// difference is Drain's cost per request (target: <= 30 ns, 0 allocs).
func BenchmarkRoute(b *testing.B) {
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	bare := chi.NewRouter()
	bare.Get("/app/orders", ok)
	drained := chi.NewRouter()
	drained.Use(chihealth.Drain(h))
	drained.Get("/app/orders", ok)

	for _, bc := range []struct {
		name string
		r    http.Handler
	}{{"bare", bare}, {"drain", drained}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/app/orders", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				bc.r.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkDrain isolates the middleware from the router: a handler that
// does nothing, called directly, with and without Drain around it.
func BenchmarkDrain(b *testing.B) {
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		next http.Handler
	}{{"none", http.HandlerFunc(ok)}, {"drain", chihealth.Drain(h)(http.HandlerFunc(ok))}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/app/orders", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				bc.next.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkReadyz probes /readyz through the router with 5 background
// checks: the pre-rendered fast path.
func BenchmarkReadyz(b *testing.B) {
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
	defer func() {
		cancel()
		_ = h.Close()
	}()
	if err := h.Start(ctx); err != nil {
		b.Fatal(err)
	}
	waitReady(b, h)

	r := chi.NewRouter()
	r.Use(chihealth.Drain(h))
	chihealth.Register(r, h)
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		r.ServeHTTP(w, req)
	}
}

// waitReady waits until every background check has passed once.
func waitReady(b *testing.B, h *core.Registry) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		rep, err := h.Evaluate(context.Background(), core.Readiness)
		if err == nil && rep.Status == core.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("background checks not ok after 5s: %+v", rep)
		}
		time.Sleep(time.Millisecond)
	}
}
