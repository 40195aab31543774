package echohealth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/echohealth"
)

// discard is a ResponseWriter reused across iterations, so that the
// benchmarks measure echo and the middleware, not a recorder.
type discard struct {
	hdr  http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.hdr }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }

func benchServe(b *testing.B, e *echo.Echo, target string, want int) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	w := &discard{hdr: make(http.Header)}
	e.ServeHTTP(w, req)
	if w.code != want {
		b.Fatalf("GET %s = %d, want %d", target, w.code, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.ServeHTTP(w, req)
	}
}

// BenchmarkDrain compares a bare route with the same route behind Drain.
// echo builds its middleware chain per request, so any e.Use middleware,
// even one that does nothing, costs one small allocation: "noop" is that
// baseline, and Drain's cost is its difference from "noop".
func BenchmarkDrain(b *testing.B) {
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	noop := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return next(c) }
	}
	for _, bc := range []struct {
		name string
		mw   []echo.MiddlewareFunc
	}{
		{"bare", nil},
		{"noop", []echo.MiddlewareFunc{noop}},
		{"drain", []echo.MiddlewareFunc{echohealth.Drain(h)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := echo.New()
			e.Use(bc.mw...)
			e.GET("/app/orders", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
			benchServe(b, e, "/app/orders", http.StatusNoContent)
		})
	}
}

// BenchmarkProbe probes /readyz, with 5 background (cached) checks, through
// echo's router: the kubelet's steady state.
func BenchmarkProbe(b *testing.B) {
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 5 {
		err := h.Register(core.Check{
			Name:     fmt.Sprintf("dep%d", i),
			Check:    func(context.Context) error { return nil },
			Interval: time.Hour,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := h.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	waitRan(b, h)
	e := echo.New()
	e.Use(echohealth.Drain(h))
	echohealth.Register(e, h)
	benchServe(b, e, "/readyz", http.StatusOK)
}
