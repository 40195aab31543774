package fiber3health_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/fiber3health"
)

// drainApp returns a fiber app with Drain, recover (in the recommended
// order: Drain outermost) and the probes under prefix, whose /app/* routes and a synchronous readiness check record the
// in-flight count seen while they run.
func drainApp(t *testing.T, prefix string) (*fiber.App, *core.Registry, *atomic.Int64) {
	t.Helper()
	h, err := core.New(core.Options{Logger: quiet, PropagationDelay: time.Millisecond, DrainTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	seen := new(atomic.Int64)
	seen.Store(-1)
	record := func() { seen.Store(h.InFlight().Count()) }
	if err := h.Register(core.Check{Name: "count", Check: func(context.Context) error { record(); return nil }}); err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	app.Use(fiber3health.Drain(h), recover.New())
	if prefix == "" {
		fiber3health.Register(app, h)
	} else {
		fiber3health.Register(app.Group(prefix), h)
	}
	app.Get("/app/ok", func(c fiber.Ctx) error { record(); return c.SendString("ok") })
	app.Get("/app/panic", func(c fiber.Ctx) error { record(); panic("boom") })
	app.Get("/app/error", func(c fiber.Ctx) error { record(); return fiber.NewError(http.StatusTeapot) })
	app.Get("/app/plain-error", func(c fiber.Ctx) error { record(); return errors.New("plain") })
	return app, h, seen
}

// connectionClose runs GET target through app and reports its status and
// whether the answer asked to close the connection.
func connectionClose(t *testing.T, app *fiber.App, target string) (int, bool) {
	t.Helper()
	resp, err := app.Test(httptest.NewRequest(http.MethodGet, target, nil), noTimeout)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Close
}

func TestDrainCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix, target string
		code           int
		counted        int64 // the in-flight count while the handler ran
	}{
		{"", "/app/ok", http.StatusOK, 1},
		{"", "/app/panic", http.StatusInternalServerError, 1},
		{"", "/app/error", http.StatusTeapot, 1},
		{"", "/app/plain-error", http.StatusInternalServerError, 1},
		{"", "/readyz", http.StatusOK, 0},
		{"", "/ready", http.StatusOK, 0},
		{"", "/readyz/count", http.StatusOK, 0},
		{"/internal", "/internal/readyz", http.StatusOK, 0},
		{"/internal", "/internal/readyz/count?verbose", http.StatusOK, 0},
		{"/internal", "/app/ok", http.StatusOK, 1},
	}
	for _, tc := range tests {
		t.Run(tc.prefix+tc.target, func(t *testing.T) {
			t.Parallel()
			app, h, seen := drainApp(t, tc.prefix)
			code, closed := connectionClose(t, app, tc.target)
			if code != tc.code {
				t.Fatalf("GET %s = %d, want %d", tc.target, code, tc.code)
			}
			if got := seen.Load(); got != tc.counted {
				t.Errorf("in-flight count while serving = %d, want %d", got, tc.counted)
			}
			if n := h.InFlight().Count(); n != 0 {
				t.Errorf("in-flight count after the request = %d, want 0", n)
			}
			if closed {
				t.Error("Connection: close before shutdown")
			}
		})
	}
}

// TestDrainConnectionClose checks that business responses carry
// "Connection: close" once shutdown has begun, and probes do not.
func TestDrainConnectionClose(t *testing.T) {
	t.Parallel()
	app, h, _ := drainApp(t, "")
	if err := h.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target string
		close  bool
	}{
		{"/app/ok", true},
		{"/app/error", true},
		{"/app/panic", true},
		{"/livez", false},
	}
	for _, tc := range tests {
		if _, closed := connectionClose(t, app, tc.target); closed != tc.close {
			t.Errorf("GET %s: Connection: close = %v, want %v", tc.target, closed, tc.close)
		}
	}
	if code, _ := connectionClose(t, app, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz after shutdown = %d, want 503", code)
	}
	if n := h.InFlight().Count(); n != 0 {
		t.Errorf("in-flight count = %d, want 0", n)
	}
}
