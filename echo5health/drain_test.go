package echo5health_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/echo5health"
)

// drainServer returns an echo server with Drain, Recover (in the
// recommended order: Drain outermost) and the probes under prefix, whose
// /app/* routes and a synchronous readiness check record the in-flight count
// seen while they run in seen, and whose error handler records it in
// answered.
func drainServer(t *testing.T, prefix string) (e *echo.Echo, h *core.Registry, seen, answered *atomic.Int64) {
	t.Helper()
	h, err := core.New(core.Options{Logger: quiet,
		PropagationDelay: time.Millisecond, DrainTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	seen, answered = new(atomic.Int64), new(atomic.Int64)
	seen.Store(-1)
	answered.Store(-1)
	record := func() { seen.Store(h.InFlight().Count()) }
	if err := h.Register(core.Check{Name: "count", Check: func(context.Context) error { record(); return nil }}); err != nil {
		t.Fatal(err)
	}
	e = echo.New()
	answer := echo.DefaultHTTPErrorHandler(false)
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		answered.Store(h.InFlight().Count())
		answer(c, err)
	}
	e.Use(echo5health.Drain(h), middleware.Recover())
	if prefix == "" {
		echo5health.Register(e, h)
	} else {
		echo5health.Register(e.Group(prefix), h)
	}
	e.GET("/app/ok", func(c *echo.Context) error { record(); return c.String(http.StatusOK, "ok") })
	e.GET("/app/panic", func(c *echo.Context) error { record(); panic("boom") })
	e.GET("/app/error", func(c *echo.Context) error { record(); return echo.NewHTTPError(http.StatusTeapot, "teapot") })
	e.GET("/app/plain-error", func(c *echo.Context) error { record(); return errors.New("plain") })
	return e, h, seen, answered
}

func TestDrainCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix, target string
		code           int
		counted        int64 // the in-flight count while the handler ran
		// answered is the in-flight count while e.HTTPErrorHandler wrote
		// the error, -1 when it did not run. In echo v5, Recover returns a
		// recovered panic as an error: like any returned error, it is
		// written after the whole chain returned.
		answered int64
	}{
		{"", "/app/ok", http.StatusOK, 1, -1},
		{"", "/app/panic", http.StatusInternalServerError, 1, 0},
		{"", "/app/error", http.StatusTeapot, 1, 0},
		{"", "/app/plain-error", http.StatusInternalServerError, 1, 0},
		{"", "/readyz", http.StatusOK, 0, -1},
		{"", "/ready", http.StatusOK, 0, -1},
		{"", "/readyz/count", http.StatusOK, 0, -1},
		{"/internal", "/internal/readyz", http.StatusOK, 0, -1},
		{"/internal", "/internal/readyz/count?verbose", http.StatusOK, 0, -1},
		{"/internal", "/app/ok", http.StatusOK, 1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.prefix+tc.target, func(t *testing.T) {
			t.Parallel()
			e, h, seen, answered := drainServer(t, tc.prefix)
			rec := serve(e, "GET", tc.target, "")
			if rec.Code != tc.code {
				t.Fatalf("GET %s = %d, want %d", tc.target, rec.Code, tc.code)
			}
			if got := seen.Load(); got != tc.counted {
				t.Errorf("in-flight count while serving = %d, want %d", got, tc.counted)
			}
			if got := answered.Load(); got != tc.answered {
				t.Errorf("in-flight count while the error was written = %d, want %d", got, tc.answered)
			}
			if n := h.InFlight().Count(); n != 0 {
				t.Errorf("in-flight count after the request = %d, want 0", n)
			}
			if c := rec.Header().Get("Connection"); c != "" {
				t.Errorf("Connection = %q before shutdown, want none", c)
			}
		})
	}
}

// TestDrainConnectionClose checks that business responses carry
// "Connection: close" once shutdown has begun, and probes do not.
func TestDrainConnectionClose(t *testing.T) {
	t.Parallel()
	e, h, _, _ := drainServer(t, "")
	if err := h.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target, want string
	}{
		{"/app/ok", "close"},
		{"/app/error", "close"},
		{"/app/panic", "close"},
		{"/livez", ""},
	}
	for _, tc := range tests {
		rec := serve(e, "GET", tc.target, "")
		if got := rec.Header().Get("Connection"); got != tc.want {
			t.Errorf("GET %s: Connection = %q, want %q", tc.target, got, tc.want)
		}
	}
	if rec := serve(e, "GET", "/readyz", ""); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz after shutdown = %d, want 503", rec.Code)
	}
	if n := h.InFlight().Count(); n != 0 {
		t.Errorf("in-flight count = %d, want 0", n)
	}
}
