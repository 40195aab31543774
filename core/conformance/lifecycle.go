package conformance

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// The lifecycle cases: in-flight tracking and the shutdown sequence.
var lifecycleCases = []testCase{
	{"DrainCountsRequests", runDrainCounts},
	{"ProbesNotCounted", func(t *testing.T, serve ServeFunc) { runProbesNotCounted(t, serve, "") }},
	{"ProbesNotCountedUnderPrefix", func(t *testing.T, serve ServeFunc) { runProbesNotCounted(t, serve, "/internal") }},
	{"PanicLeavesNoInFlight", runPanic},
	{"ConnectionCloseWhileDraining", runConnectionClose},
	{"ZeroDropShutdown", runZeroDrop},
	{"DrainTimeout", runDrainTimeout},
	{"ServeErrorReturned", runServeError},
}

// waitTimeout bounds every wait for something the test itself caused; it
// only expires when the adapter is broken.
const waitTimeout = 30 * time.Second

// gate is a business handler that blocks until released, so a test can
// look at the in-flight count while a request is inside the handler.
type gate struct {
	entered chan struct{} // one value per request that reached the handler
	release chan struct{} // one value lets one request finish
	stop    chan struct{} // closed at the end of the test: everything finishes
	once    sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{entered: make(chan struct{}, 16), release: make(chan struct{}), stop: make(chan struct{})}
	t.Cleanup(g.close)
	return g
}

// wait is called by the blocked handler or check.
func (g *gate) wait(ctx context.Context) error {
	g.entered <- struct{}{}
	select {
	case <-g.release:
		return nil
	case <-g.stop:
		return errors.New("test ended")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// arrive waits until a request reached the gate.
func (g *gate) arrive(t *testing.T, what string) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(waitTimeout):
		t.Fatalf("%s did not reach its handler within %v", what, waitTimeout)
	}
}

// let lets one blocked request finish.
func (g *gate) let(t *testing.T) {
	t.Helper()
	select {
	case g.release <- struct{}{}:
	case <-time.After(waitTimeout):
		t.Fatalf("no request waiting at the gate")
	}
}

func (g *gate) close() { g.once.Do(func() { close(g.stop) }) }

// async sends a request in its own goroutine; the result arrives on the
// returned channel, which is buffered so the goroutine never blocks.
func async(c *http.Client, method, url string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		r, err := do(c, method, url, "")
		ch <- result{r, err}
	}()
	return ch
}

type result struct {
	resp response
	err  error
}

func receive(t *testing.T, ch <-chan result, what string) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitTimeout):
		t.Fatalf("%s has not completed within %v", what, waitTimeout)
		return result{}
	}
}

// runDrainCounts: a business request is in flight exactly while its handler
// runs.
func runDrainCounts(t *testing.T, serve ServeFunc) {
	h := newRegistry(t, core.Options{})
	g := newGate(t)
	s := startServer(t, serve, h, Config{App: func(path, _ string) (int, string) {
		if path == "/app/block" {
			if err := g.wait(context.Background()); err != nil {
				return http.StatusServiceUnavailable, err.Error()
			}
			return http.StatusOK, "released\n"
		}
		return http.StatusOK, "ok\n"
	}})
	c := newClient(t, true)

	if n := h.InFlight().Count(); n != 0 {
		t.Fatalf("in flight before any request = %d, want 0", n)
	}
	done := async(c, http.MethodGet, s.url("/app/block"))
	g.arrive(t, "GET /app/block")
	if n := h.InFlight().Count(); n != 1 {
		t.Errorf("in flight while a business request runs = %d, want 1 (is Drain installed?)", n)
	}
	g.let(t)
	r := receive(t, done, "GET /app/block")
	if r.err != nil || r.resp.code != http.StatusOK || string(r.resp.body) != "released\n" {
		t.Errorf("GET /app/block = %d %q, %v; want 200 %q", r.resp.code, r.resp.body, r.err, "released\n")
	}
	if !eventually(waitTimeout, func() bool { return h.InFlight().Count() == 0 }) {
		t.Errorf("in flight after the request ended = %d, want 0", h.InFlight().Count())
	}
	if r.resp.close {
		t.Error("Connection: close before shutdown; want keep-alive until draining")
	}
}

// runProbesNotCounted: a probe in progress (its check blocks) is not in the
// in-flight count, so it cannot hold shutdown up; a business request on the
// same server is.
func runProbesNotCounted(t *testing.T, serve ServeFunc, prefix string) {
	check := newGate(t)
	h := newRegistry(t, core.Options{}, core.Check{Name: "gate", Timeout: waitTimeout, Check: check.wait})
	app := newGate(t)
	s := startServer(t, serve, h, Config{Prefix: prefix, App: func(string, string) (int, string) {
		if err := app.wait(context.Background()); err != nil {
			return http.StatusServiceUnavailable, err.Error()
		}
		return http.StatusOK, "ok\n"
	}})
	c := newClient(t, true)

	for _, target := range []string{"/readyz", "/readyz/gate", "/ready?verbose"} {
		done := async(c, http.MethodGet, s.probeURL(target))
		check.arrive(t, "GET "+prefix+target)
		if n := h.InFlight().Count(); n != 0 {
			t.Errorf("in flight during GET %s%s = %d, want 0: probes must not be counted", prefix, target, n)
		}
		check.let(t)
		if r := receive(t, done, "GET "+prefix+target); r.err != nil || r.resp.code != http.StatusOK {
			t.Errorf("GET %s%s = %d, %v; want 200", prefix, target, r.resp.code, r.err)
		}
	}

	done := async(c, http.MethodGet, s.url("/app/block"))
	app.arrive(t, "GET /app/block")
	if n := h.InFlight().Count(); n != 1 {
		t.Errorf("in flight during a business request = %d, want 1 (is Drain installed?)", n)
	}
	app.let(t)
	if r := receive(t, done, "GET /app/block"); r.err != nil || r.resp.code != http.StatusOK {
		t.Errorf("GET /app/block = %d, %v; want 200", r.resp.code, r.err)
	}
}

// runPanic: a handler that panics, recovered by the framework, leaves the
// in-flight count at zero and the server serving.
func runPanic(t *testing.T, serve ServeFunc) {
	h := newRegistry(t, core.Options{})
	s := startServer(t, serve, h, Config{App: func(path, _ string) (int, string) {
		if path == "/app/panic" {
			panic("conformance: deliberate panic in a business handler")
		}
		return http.StatusOK, "ok\n"
	}})
	c := newClient(t, true)

	for i := range 3 {
		r, err := do(c, http.MethodGet, s.url("/app/panic"), "")
		if err == nil && r.code != http.StatusInternalServerError {
			t.Errorf("GET /app/panic #%d = %d, want 500 from the recovery middleware (or a closed connection)", i, r.code)
		}
	}
	if !eventually(waitTimeout, func() bool { return h.InFlight().Count() == 0 }) {
		t.Errorf("in flight after panicking requests = %d, want 0: Drain must Leave on panic", h.InFlight().Count())
	}
	if r := mustDo(t, c, http.MethodGet, s.url("/app/ok"), ""); r.code != http.StatusOK {
		t.Errorf("GET /app/ok after panics = %d, want 200", r.code)
	}
	if r := mustDo(t, c, http.MethodGet, s.probeURL("/livez"), ""); r.code != http.StatusOK {
		t.Errorf("GET /livez after panics = %d, want 200", r.code)
	}
}

// runConnectionClose: while draining, business responses carry
// Connection: close, so keep-alive clients reconnect elsewhere; readiness
// fails with "shutting down" while liveness passes.
func runConnectionClose(t *testing.T, serve ServeFunc) {
	// The propagation delay is the window in which the test must send its
	// request. Any fixed window can be missed on a loaded machine, so the
	// delay is longer than the test ever waits and the test ends it itself:
	// it starts the sequence with Shutdown and a context it cancels once
	// the request is answered (the runner follows that sequence).
	h := newRegistry(t, core.Options{PropagationDelay: time.Hour})
	s := startServer(t, serve, h, Config{})
	c := newClient(t, true)

	if r := mustDo(t, c, http.MethodGet, s.url("/app/before"), ""); r.close {
		t.Error("Connection: close before shutdown; want keep-alive until draining")
	}
	ctx, endDelay := context.WithCancel(context.Background())
	defer endDelay()
	shut := make(chan error, 1)
	go func() { shut <- h.Shutdown(ctx, nil) }()
	if !eventually(waitTimeout, h.Draining) {
		t.Fatal("registry not draining after Shutdown was called")
	}
	r := mustDo(t, c, http.MethodGet, s.url("/app/during"), "")
	if r.code != http.StatusOK {
		t.Errorf("GET /app/during while draining = %d, want 200", r.code)
	}
	if !r.close {
		t.Errorf("GET /app/during while draining: no Connection: close (header %q)", r.header.Get("Connection"))
	}
	if r := mustDo(t, c, http.MethodGet, s.probeURL("/readyz"), ""); r.code != http.StatusServiceUnavailable || !strings.Contains(string(r.body), `"message":"shutting down"`) {
		t.Errorf("GET /readyz while draining = %d %s, want 503 shutting down", r.code, r.body)
	}
	if r := mustDo(t, c, http.MethodGet, s.probeURL("/livez"), ""); r.code != http.StatusOK {
		t.Errorf("GET /livez while draining = %d %s, want 200", r.code, r.body)
	}
	endDelay()
	if err := s.wait(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	select {
	case err := <-shut:
		if err != nil { // the request had left the in-flight count before it was answered
			t.Errorf("Shutdown = %v, want nil: nothing was in flight when its context ended", err)
		}
	case <-time.After(waitTimeout):
		t.Errorf("Shutdown has not returned within %v of its context ending", waitTimeout)
	}
}

// runZeroDrop: requests in flight when shutdown begins all complete;
// probes answered before the listener closes say readiness "shutting down"
// and liveness ok; afterwards connections are refused.
func runZeroDrop(t *testing.T, serve ServeFunc) {
	const (
		n    = 200
		slow = 1500 * time.Millisecond
		// delay is shorter than slow, so requests outlive the listener,
		// and long enough for a few probes in between on most machines.
		delay = time.Second
		// window bounds the connections opened but not yet in the handler.
		// Two hundred connects at once overflow a listen backlog of 128
		// (net.core.somaxconn on many kernels and containers) when a loaded
		// machine's accept loop falls behind: the kernel drops SYNs, the
		// client retries them after 1 s, 3 s, 7 s, and a few requests do not
		// arrive within waitTimeout. The window keeps every backlog from
		// overflowing; all n requests are still in flight together.
		window = 16
	)
	h := newRegistry(t, core.Options{PropagationDelay: delay, DrainTimeout: waitTimeout},
		core.Check{Name: "db", Check: func(context.Context) error { return nil }})
	var arrived atomic.Int32
	allIn := make(chan struct{})
	abort := make(chan struct{})
	pending := make(chan struct{}, window) // one value per request sent but not yet arrived
	s := startServer(t, serve, h, Config{App: func(path, _ string) (int, string) {
		if path != "/app/slow" {
			return http.StatusOK, "fast\n"
		}
		<-pending // its sender put a value in before sending
		if arrived.Add(1) == n {
			close(allIn)
		}
		select { // all n in flight together, then each takes slow
		case <-allIn:
		case <-abort:
			return http.StatusServiceUnavailable, "aborted\n"
		}
		select {
		case <-time.After(slow):
			return http.StatusOK, "done\n"
		case <-abort:
			return http.StatusServiceUnavailable, "aborted\n"
		}
	}})
	// Registered after startServer, so it runs before the server's cleanup:
	// a failed test releases the blocked handlers before the shutdown that
	// would otherwise wait for them until the drain timeout.
	t.Cleanup(func() { close(abort) })
	c := newClient(t, false)

	if r := mustDo(t, c, http.MethodGet, s.probeURL("/readyz"), ""); r.code != http.StatusOK {
		t.Fatalf("GET /readyz before shutdown = %d, want 200", r.code)
	}
	results := make([]<-chan result, n)
	notIn := func() {
		t.Helper()
		for i, ch := range results {
			select {
			case r := <-ch:
				t.Errorf("request %d ended before all were in flight: %d %q, %v", i, r.resp.code, r.resp.body, r.err)
			default:
			}
		}
		t.Fatalf("only %d of %d concurrent requests reached the handler within %v", arrived.Load(), n, waitTimeout)
	}
	for i := range results {
		select {
		case pending <- struct{}{}:
		case <-time.After(waitTimeout):
			notIn()
		}
		results[i] = async(c, http.MethodGet, s.url("/app/slow"))
	}
	select {
	case <-allIn:
	case <-time.After(waitTimeout):
		notIn()
	}
	if got := h.InFlight().Count(); got != n {
		t.Errorf("in flight = %d, want %d", got, n)
	}

	start := time.Now()
	s.shutdown()
	if !eventually(waitTimeout, h.Draining) {
		t.Fatal("registry not draining after the context was cancelled")
	}
	// Poll with a new connection per request until the listener closes.
	for {
		r, err := do(c, http.MethodGet, s.probeURL("/readyz"), "")
		if err != nil {
			if !s.ln.isClosed() {
				t.Errorf("GET /readyz failed while the listener was open: %v", err)
			}
			break
		}
		if r.code != http.StatusServiceUnavailable || !strings.Contains(string(r.body), `"message":"shutting down"`) {
			t.Errorf("GET /readyz while draining = %d %s, want 503 shutting down", r.code, r.body)
		}
		r, err = do(c, http.MethodGet, s.probeURL("/livez"), "")
		if err != nil {
			if !s.ln.isClosed() {
				t.Errorf("GET /livez failed while the listener was open: %v", err)
			}
			break
		}
		if r.code != http.StatusOK {
			t.Errorf("GET /livez while draining = %d %s, want 200", r.code, r.body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// How many probes fit in the delay depends on the machine's load, so
	// none may have been answered here; runConnectionClose holds the delay
	// open and requires them.
	// The listener is closed: new requests are refused, not hung. The
	// socket itself closes only once the accept loop has let go of it, a
	// moment after Close returned (later on a loaded machine): a connection
	// made in between is reset instead, so poll until one is refused.
	var lastErr error
	if !eventually(waitTimeout, func() bool {
		_, lastErr = do(c, http.MethodGet, s.probeURL("/livez"), "")
		return isDialError(lastErr)
	}) {
		t.Errorf("GET /livez after the listener closed: %v, want the connection refused", lastErr)
	}

	var failed int
	for i, ch := range results {
		r := receive(t, ch, "an in-flight request")
		if r.err != nil || r.resp.code != http.StatusOK || string(r.resp.body) != "done\n" {
			failed++
			if failed <= 3 {
				t.Errorf("in-flight request %d = %d %q, %v; want 200 %q", i, r.resp.code, r.resp.body, r.err, "done\n")
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d requests in flight at shutdown were dropped", failed, n)
	}
	if err := s.wait(t); err != nil {
		t.Errorf("Run = %v, want nil after a complete drain", err)
	}
	if closed := time.Unix(0, s.ln.at.Load()); !s.ln.isClosed() {
		t.Error("listener not closed by Run")
	} else if closed.Sub(start) < delay {
		t.Errorf("listener closed %v after shutdown began, before the propagation delay %v", closed.Sub(start), delay)
	}
	if got := h.InFlight().Count(); got != 0 {
		t.Errorf("in flight after Run = %d, want 0", got)
	}
	if st := h.State(); st != core.StateStopped {
		t.Errorf("state after Run = %v, want stopped", st)
	}
}

// runDrainTimeout: a request that never finishes does not hold shutdown
// past the drain timeout, and Run says how many requests it abandoned.
func runDrainTimeout(t *testing.T, serve ServeFunc) {
	const (
		delay = 50 * time.Millisecond
		drain = 500 * time.Millisecond
	)
	h := newRegistry(t, core.Options{PropagationDelay: delay, DrainTimeout: drain})
	g := newGate(t)
	s := startServer(t, serve, h, Config{App: func(string, string) (int, string) {
		if err := g.wait(context.Background()); err != nil {
			return http.StatusServiceUnavailable, err.Error()
		}
		return http.StatusOK, "late\n"
	}})
	c := newClient(t, true)

	done := async(c, http.MethodGet, s.url("/app/hang"))
	g.arrive(t, "GET /app/hang")
	start := time.Now()
	s.shutdown()
	err := s.wait(t) // the handler is still blocked: Run must not wait for it
	elapsed := time.Since(start)

	var dte *core.DrainTimeoutError
	switch {
	case !errors.As(err, &dte):
		t.Errorf("Run = %v, want a *core.DrainTimeoutError", err)
	case dte.Abandoned < 1:
		t.Errorf("DrainTimeoutError.Abandoned = %d, want >= 1", dte.Abandoned)
	}
	if !errors.Is(err, core.ErrDrainTimeout) {
		t.Errorf("errors.Is(%v, core.ErrDrainTimeout) = false", err)
	}
	if elapsed < drain {
		t.Errorf("Run returned %v after shutdown began, before the drain timeout %v", elapsed, drain)
	}
	if limit := delay + drain + 5*time.Second; elapsed > limit {
		t.Errorf("Run returned %v after shutdown began, want well within %v", elapsed, limit)
	}

	g.close() // release the abandoned handler so that nothing leaks
	receive(t, done, "the abandoned request")
	if !eventually(waitTimeout, func() bool { return h.InFlight().Count() == 0 }) {
		t.Errorf("in flight after the abandoned handler returned = %d, want 0", h.InFlight().Count())
	}
}

// runServeError: when serving fails (here: the listener is already closed),
// Run returns the error, wrapped so that errors.Is finds its cause, at once
// instead of waiting for a signal, having run the shutdown sequence's end
// like every other path: hooks once, stopped.
func runServeError(t *testing.T, serve ServeFunc) {
	h := newRegistry(t, core.Options{})
	hooks := hookCounter(t, h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, h, ln, Config{App: func(string, string) (int, string) { return 200, "" }}) }()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Run on a closed listener = %v, want the serve error (net.ErrClosed)", err)
		}
		if st := h.State(); st != core.StateStopped {
			t.Errorf("state after Run on a closed listener = %v, want stopped", st)
		}
		if n := hooks.Load(); n != 1 {
			t.Errorf("shutdown hook ran %d times when serving failed, want once", n)
		}
	case <-time.After(waitTimeout):
		t.Errorf("Run on a closed listener has not returned within %v", waitTimeout)
		cancel()
		select { // give a stuck runner its shutdown before leaving
		case err := <-done:
			t.Logf("Run returned %v once its context was cancelled", err)
		case <-time.After(waitTimeout):
		}
	}
}
