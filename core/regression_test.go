package core

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
)

// Cancelling Start's context, or Close, while a background call is in flight
// must not record the call's context.Canceled as the dependency failing:
// the schedulers are gone, so the failure would stand for the whole drain.
func TestBackgroundCallCanceledByCloseIsNotAFailure(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	r := newTestRegistry(t, Options{Observers: []Observer{rec}})
	inCall := make(chan struct{}, 1)
	var calls atomic.Int32
	_ = r.Register(Check{Name: "loop", Kinds: Liveness, Interval: 20 * time.Millisecond, Check: func(ctx context.Context) error {
		if calls.Add(1) == 1 {
			return nil
		}
		select {
		case inCall <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	}})
	ctx, cancel := context.WithCancel(context.Background())
	_ = r.Start(ctx)
	<-inCall
	cancel()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if res := r.lookup("loop").last(); res.Status != StatusOK || res.ConsecutiveFailures != 0 {
		t.Fatalf("after Close mid-call: %v %q, %d failures", res.Status, res.Message, res.ConsecutiveFailures)
	}
	if resp := r.Probe(context.Background(), ProbeRequest{Method: "GET", Kind: Liveness}); resp.Code != 200 {
		t.Fatalf("livez after Close = %d %s", resp.Code, resp.Body)
	}
}

// Shutdown must win against a probe (or MarkStarted) moving the state from
// Starting to Ready at the same moment.
func TestShutdownRacesStartup(t *testing.T) {
	t.Parallel()
	for i := range 2000 {
		r, _ := New(Options{Logger: discardLogger(), PropagationDelay: time.Nanosecond, DrainTimeout: time.Second})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); r.MarkStarted() }()
		err := r.Shutdown(context.Background(), nil)
		wg.Wait()
		if err != nil || r.State() != StateStopped {
			t.Fatalf("iteration %d: Shutdown = %v, state %v", i, err, r.State())
		}
	}
}

// When another caller already runs the shutdown sequence, Run waits for it
// and still stops its own server, instead of waiting for a serve that never
// ends.
func TestRunWhileShutdownInProgress(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: 100 * time.Millisecond})
	shutdown := make(chan error, 1)
	go func() { shutdown <- r.Shutdown(context.Background(), nil) }() // a preStop handler, say
	waitFor(t, r.Draining)
	if err := r.Shutdown(context.Background(), nil); !errors.Is(err, ErrShutdownInProgress) {
		t.Fatalf("second Shutdown = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- r.Run(ctx, func() error { <-stopped; return http.ErrServerClosed },
			func(context.Context) error { close(stopped); return nil })
	}()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		close(stopped)
		t.Fatal("Run did not return after the other shutdown finished")
	}
	if err := <-shutdown; err != nil {
		t.Fatal(err)
	}
}

// While starting, the startup gate and the readiness checks run together:
// a probe takes one timeout, not two. Each check waits for the other to
// start: run one after the other, the first would time out.
func TestStartingProbeRunsGateAndChecksTogether(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var arrived sync.WaitGroup
	arrived.Add(2)
	both := make(chan struct{})
	go func() { arrived.Wait(); close(both) }()
	meet := func(ctx context.Context) error {
		arrived.Done()
		select {
		case <-both:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	_ = r.Register(Check{Name: "migrations", Kinds: Startup, Timeout: 5 * time.Second, Check: meet})
	_ = r.Register(Check{Name: "db", Timeout: 5 * time.Second, Check: meet})
	if resp := r.Probe(context.Background(), ProbeRequest{Method: "GET", Kind: Readiness}); resp.Code != 200 {
		t.Fatalf("readyz while starting = %d %s", resp.Code, resp.Body)
	}
}

// A stuck call counts one failure per Timeout, not one per probe: a probe
// storm neither inflates the failure count nor floods observers.
func TestStuckCallCountsOncePerTimeout(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	r := newTestRegistry(t, Options{Observers: []Observer{rec}})
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	_ = r.Register(Check{Name: "stuck", Timeout: 500 * time.Millisecond, Check: blockingCheck(&calls, release)})
	r.MarkStarted()
	for range 100 {
		_, _ = r.Evaluate(context.Background(), Readiness)
	}
	res := r.lookup("stuck").last()
	rec.mu.Lock()
	results := rec.results
	rec.mu.Unlock()
	if res.ConsecutiveFailures != 1 || results != 1 {
		t.Fatalf("100 probes of one stuck call: %d failures, %d results; want 1 and 1", res.ConsecutiveFailures, results)
	}
	time.Sleep(550 * time.Millisecond)
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if got := rep.Checks[0]; got.ConsecutiveFailures != 2 || got.Status != StatusUnavailable || !strings.Contains(got.Message, "still in progress") {
		t.Fatalf("a probe a timeout later: %+v", got)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d calls", calls.Load())
	}
}

// A background liveness check that has not run yet (InitialDelay) does not
// fail liveness: like the kubelet, assume alive until a check has run.
func TestLivenessBeforeFirstRun(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "loop", Kinds: Liveness | Readiness, Interval: time.Second, InitialDelay: time.Minute, Check: ok})
	_ = r.Start(context.Background())
	for _, tt := range []struct {
		req  ProbeRequest
		code int
	}{
		{ProbeRequest{Method: "GET", Kind: Liveness}, 200},
		{ProbeRequest{Method: "GET", Kind: Liveness, Check: "loop"}, 200},
		{ProbeRequest{Method: "GET", Kind: Readiness}, 503}, // not ready until checked
	} {
		if resp := r.Probe(context.Background(), tt.req); resp.Code != tt.code {
			t.Errorf("%v %q = %d, want %d: %s", tt.req.Kind, tt.req.Check, resp.Code, tt.code, resp.Body)
		}
	}
}

// A readiness probe whose checks were running when shutdown began answers
// 503: readiness fails from the first moment of shutdown.
func TestReadinessAfterShutdownBeganMidProbe(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond})
	inCheck := make(chan struct{})
	proceed := make(chan struct{})
	_ = r.Register(Check{Name: "db", Check: func(context.Context) error { close(inCheck); <-proceed; return nil }})
	r.MarkStarted()
	go func() { <-inCheck; _ = r.Shutdown(context.Background(), nil); close(proceed) }()
	if resp := r.Probe(context.Background(), ProbeRequest{Method: "GET", Kind: Readiness}); resp.Code != 503 || !strings.Contains(string(resp.Body), "shutting down") {
		t.Fatalf("readyz = %d %s", resp.Code, resp.Body)
	}
}

// ExposeErrors shows raw errors in responses, never in logs or transitions.
func TestExposeErrorsStaysOutOfTransitions(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	r := newTestRegistry(t, Options{ExposeErrors: true, Observers: []Observer{rec}})
	_ = r.Register(Check{Name: "db", Check: func(context.Context) error { return errors.New("password=hunter2: connection refused") }})
	r.MarkStarted()
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if !strings.Contains(rep.Checks[0].Message, "hunter2") {
		t.Fatal("ExposeErrors did not expose")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, tr := range rec.transitions {
		if strings.Contains(tr.Reason, "hunter2") {
			t.Fatalf("transition reason leaks: %q", tr.Reason)
		}
	}
}

func TestOnShutdownValidation(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	if err := r.OnShutdown("", func(context.Context) error { return nil }); err == nil {
		t.Error("empty hook name accepted")
	}
	if err := r.OnShutdown("db", nil); err == nil {
		t.Error("nil hook accepted")
	}
}

// A hook registered once the sequence had taken the hooks (a pool opened
// lazily during the drain, say) was accepted and never run: the resource
// was silently left open. OnShutdown now says so, and the caller closes it
// itself; a hook registered during the delay or the drain still runs.
func TestOnShutdownAfterTheHooksRan(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond})
	early := make(chan struct{})
	if err := r.OnShutdown("early", func(context.Context) error { close(early); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	select {
	case <-early:
	default:
		t.Error("the hook registered before the shutdown did not run")
	}
	err := r.OnShutdown("late", func(context.Context) error { return nil })
	if !errors.Is(err, ErrShutdownInProgress) {
		t.Fatalf("OnShutdown after the hooks ran = %v, want an error wrapping ErrShutdownInProgress", err)
	}
}

// blockingServer serves r.Drain'd requests that wait for release, on a
// loopback listener; started reports a request has entered the handler.
func blockingServer(t *testing.T, r *Registry) (srv *http.Server, ln net.Listener, started, release chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release = make(chan struct{}, 1), make(chan struct{})
	srv = &http.Server{ReadHeaderTimeout: time.Second, Handler: r.Drain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		started <- struct{}{}
		<-release
	}))}
	return srv, ln, started, release
}

func get(url string) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Get(url); err == nil {
		resp.Body.Close()
	}
}

// A shutdown started elsewhere (a preStop handler) with the server's own
// stop makes serve return at once; Run must not mistake that for the server
// failing: no hooks under in-flight requests, no early return.
func TestRunFollowsShutdownStartedElsewhere(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: 10 * time.Millisecond, DrainTimeout: 5 * time.Second})
	var hookSaw atomic.Int64
	hookSaw.Store(-1)
	_ = r.OnShutdown("db", func(context.Context) error { hookSaw.Store(r.InFlight().Count()); return nil })
	srv, ln, started, release := blockingServer(t, r)
	runDone := make(chan error, 1)
	go func() { runDone <- r.Run(context.Background(), func() error { return srv.Serve(ln) }, srv.Shutdown) }()
	reqDone := make(chan struct{})
	go func() { get("http://" + ln.Addr().String() + "/app"); close(reqDone) }()
	<-started
	shutDone := make(chan error, 1)
	go func() { shutDone <- r.Shutdown(context.Background(), srv.Shutdown) }()
	select {
	case err := <-runDone:
		t.Fatalf("Run returned (%v) with a request in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-runDone; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if err := <-shutDone; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	<-reqDone
	if n := hookSaw.Load(); n != 0 {
		t.Fatalf("the hook ran with %d requests in flight", n)
	}
}

// A Run that joins a sequence started with a nil stop stops its own server
// when that sequence closes listeners, bounded by the drain timeout.
func TestRunJoiningShutdownStopsItsServerInTime(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: 10 * time.Millisecond, DrainTimeout: 100 * time.Millisecond})
	srv, ln, started, release := blockingServer(t, r)
	defer close(release) // the abandoned request, after the test
	var hooksDone, stopAfterHooks atomic.Bool
	_ = r.OnShutdown("db", func(context.Context) error { hooksDone.Store(true); return nil })
	stop := func(ctx context.Context) error { stopAfterHooks.Store(hooksDone.Load()); return srv.Shutdown(ctx) }
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- r.Run(ctx, func() error { return srv.Serve(ln) }, stop) }()
	go get("http://" + ln.Addr().String() + "/app")
	<-started
	go func() { _ = r.Shutdown(context.Background(), nil) }() // preStop
	waitFor(t, r.Draining)
	cancel() // SIGTERM
	select {
	case err := <-runDone: // that it returns is the point here, not its error
		t.Logf("Run = %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the sequence ended")
	}
	if stopAfterHooks.Load() {
		t.Fatal("the server was stopped only after the hooks had closed its resources")
	}
}

func TestRunRejectsNilFuncs(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	if err := r.Run(context.Background(), func() error { return nil }, nil); err == nil {
		t.Fatal("nil stop accepted")
	}
	if err := r.Run(context.Background(), nil, func(context.Context) error { return nil }); err == nil {
		t.Fatal("nil serve accepted")
	}
}

// A server that fails by itself (here: it cannot listen) still drains and
// runs the hooks before Run returns its error.
func TestServeFailureRunsHooks(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var ran atomic.Bool
	_ = r.OnShutdown("db", func(context.Context) error { ran.Store(true); return nil })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = r.ListenAndServe(context.Background(), &http.Server{Addr: ln.Addr().String(), ReadHeaderTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("ListenAndServe = %v", err)
	}
	if !ran.Load() || r.State() != StateStopped {
		t.Fatalf("hooks ran %v, state %v", ran.Load(), r.State())
	}
}
