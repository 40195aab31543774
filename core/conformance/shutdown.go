package conformance

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// The shutdown paths besides a cancelled context: every one ends with the
// runner returned, the listener closed, hooks run once and an honest error.
var shutdownCases = []testCase{
	{"ShutdownElsewhereStopsRun", runShutdownElsewhere},
	{"StartShutdownFromRequest", runStartShutdownFromRequest},
	{"StopTimeoutReported", runStopTimeout},
}

// hookCounter registers a shutdown hook that counts its calls.
func hookCounter(t *testing.T, h *core.Registry) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	if err := h.OnShutdown("db", func(context.Context) error { n.Add(1); return nil }); err != nil {
		t.Fatalf("OnShutdown: %v", err)
	}
	return &n
}

// stoppedCleanly checks the end state every shutdown path must reach.
func stoppedCleanly(t *testing.T, s *server, c *http.Client, hooks *atomic.Int32) {
	t.Helper()
	if err := s.wait(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if !s.ln.isClosed() {
		t.Error("listener not closed by Run")
	}
	if _, err := do(c, http.MethodGet, s.probeURL("/livez"), ""); !isDialError(err) {
		t.Errorf("GET /livez after Run returned: %v, want the connection refused", err)
	}
	if n := hooks.Load(); n != 1 {
		t.Errorf("shutdown hook ran %d times, want once", n)
	}
	if st := s.h.State(); st != core.StateStopped {
		t.Errorf("state after Run = %v, want stopped", st)
	}
}

// runShutdownElsewhere: Shutdown called outside the runner (a preStop or
// admin handler on another port, say), with no signal and no cancelled
// context, stops the runner too: it returns nil and its listener closes.
func runShutdownElsewhere(t *testing.T, serve ServeFunc) {
	h := newRegistry(t, core.Options{PropagationDelay: 10 * time.Millisecond})
	hooks := hookCounter(t, h)
	s := startServer(t, serve, h, Config{})
	c := newClient(t, false)
	if r := mustDo(t, c, http.MethodGet, s.url("/app/before"), ""); r.code != http.StatusOK {
		t.Fatalf("GET /app/before = %d, want 200", r.code)
	}

	if err := h.Shutdown(context.Background(), nil); err != nil {
		t.Errorf("Shutdown = %v, want nil", err)
	}
	stoppedCleanly(t, s, c, hooks)
}

// runStartShutdownFromRequest: a handler behind the drain middleware that
// starts the shutdown (a preStop hook) answers at once, is not waited for
// as an in-flight request, and the runner returns nil; the hooks run only
// once the runner has closed its listener.
func runStartShutdownFromRequest(t *testing.T, serve ServeFunc) {
	// A drain timeout longer than the suite waits for the runner: a
	// sequence that waited for its own request would show as a hang.
	h := newRegistry(t, core.Options{PropagationDelay: 10 * time.Millisecond, DrainTimeout: 3 * runReturnTimeout})
	hooks := hookCounter(t, h)
	s := startServer(t, serve, h, Config{App: func(path, _ string) (int, string) {
		if path != "/app/prestop" {
			return http.StatusOK, "app\n"
		}
		if err := h.StartShutdown(); err != nil {
			return http.StatusConflict, err.Error() + "\n"
		}
		return http.StatusOK, "shutting down\n"
	}})
	// The hooks close what the server uses: they must not run while its
	// listener still accepts requests.
	var openAtHook atomic.Bool
	if err := h.OnShutdown("listener-closed", func(context.Context) error {
		openAtHook.Store(!s.ln.isClosed())
		return nil
	}); err != nil {
		t.Fatalf("OnShutdown: %v", err)
	}
	c := newClient(t, false)

	if r := mustDo(t, c, http.MethodGet, s.url("/app/prestop"), ""); r.code != http.StatusOK {
		t.Errorf("GET /app/prestop = %d %q, want 200", r.code, r.body)
	}
	if err := h.StartShutdown(); !errors.Is(err, core.ErrShutdownInProgress) {
		t.Errorf("a second StartShutdown = %v, want ErrShutdownInProgress", err)
	}
	stoppedCleanly(t, s, c, hooks)
	if openAtHook.Load() {
		t.Error("the shutdown hooks ran while the server's listener was still open")
	}
}

// runStopTimeout: a connection the drain middleware does not count (here a
// probe whose check hangs) holds the framework's graceful stop past the
// drain timeout; Run reports that as an abandoned drain, not a clean one.
func runStopTimeout(t *testing.T, serve ServeFunc) {
	const drain = 300 * time.Millisecond
	check := newGate(t)
	h := newRegistry(t, core.Options{PropagationDelay: 10 * time.Millisecond, DrainTimeout: drain},
		core.Check{Name: "gate", Timeout: 3 * runReturnTimeout, Check: check.wait})
	s := startServer(t, serve, h, Config{})
	c := newClient(t, true)

	done := async(c, http.MethodGet, s.probeURL("/readyz"))
	check.arrive(t, "GET /readyz")
	s.shutdown()
	err := s.wait(t)
	var dte *core.DrainTimeoutError
	switch {
	case !errors.As(err, &dte):
		t.Errorf("Run = %v, want a *core.DrainTimeoutError for the graceful stop that timed out", err)
	case !dte.StopTimedOut:
		t.Errorf("DrainTimeoutError.StopTimedOut = false in %v", err)
	}
	if !errors.Is(err, core.ErrDrainTimeout) {
		t.Errorf("errors.Is(%v, core.ErrDrainTimeout) = false", err)
	}
	check.close() // release the probe so that nothing leaks
	receive(t, done, "the abandoned probe")
}
