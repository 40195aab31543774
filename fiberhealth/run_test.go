package fiberhealth_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/fiberhealth"
	"go.uber.org/goleak"
)

// get requests url on a connection of its own and returns the status code
// and body.
func get(url string) (int, string, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestServeGracefulShutdown runs a server through Serve, cancels its context
// while a slow request is in flight and checks the sequence: readiness fails
// at once while the server still serves, the slow request completes, Serve
// returns nil and the port refuses connections.
func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{PropagationDelay: time.Second, DrainTimeout: 5 * time.Second}, false)
	release := make(chan struct{})
	app := newServerApp()
	app.Use(fiberhealth.Drain(h), recover.New())
	fiberhealth.Register(app, h)
	app.Get("/app/slow", func(c *fiber.Ctx) error {
		<-release
		return c.SendString("done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- fiberhealth.Serve(ctx, app, ln, h) }()

	if code, _, err := get(base + "/readyz"); err != nil || code != http.StatusOK {
		t.Fatalf("GET /readyz before shutdown = %d, %v; want 200", code, err)
	}
	type result struct {
		code int
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		code, body, err := get(base + "/app/slow")
		slow <- result{code, body, err}
	}()
	waitFor(t, "the slow request to be in flight", func() bool { return h.InFlight().Count() == 1 })

	cancel()
	waitFor(t, "draining", h.Draining)
	code, body, err := get(base + "/readyz")
	if err != nil || code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Errorf("GET /readyz while draining = %d %q, %v; want 503 shutting down", code, body, err)
	}
	if code, _, err := get(base + "/livez"); err != nil || code != http.StatusOK {
		t.Errorf("GET /livez while draining = %d, %v; want 200", code, err)
	}
	close(release)
	if r := <-slow; r.err != nil || r.code != http.StatusOK || r.body != "done" {
		t.Errorf("slow request = %d %q, %v; want 200 done", r.code, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return 10s after its context ended")
	}
	if h.State() != core.StateStopped {
		t.Errorf("state = %v, want stopped", h.State())
	}
	if _, _, err := get(base + "/livez"); err == nil {
		t.Error("GET after Serve returned succeeded, want connection refused")
	}
}

// TestRun checks Run's own part: it listens on addr, and a listen error is
// returned wrapped, after the shutdown hooks ran.
func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		addr    string
		wantErr bool
	}{
		{"cancelled", "127.0.0.1:0", false},
		{"bad address", "127.0.0.1:-1", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := core.New(core.Options{Logger: quiet, PropagationDelay: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			var hookRan atomic.Bool
			if err := h.OnShutdown("db", func(context.Context) error { hookRan.Store(true); return nil }); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err = fiberhealth.Run(ctx, newServerApp(), tc.addr, h)
			if !hookRan.Load() {
				t.Errorf("Run(%q) returned without running the shutdown hooks", tc.addr)
			}
			var opErr *net.OpError
			switch {
			case tc.wantErr && !errors.As(err, &opErr):
				t.Errorf("Run(%q) = %v, want a *net.OpError", tc.addr, err)
			case !tc.wantErr && err != nil:
				t.Errorf("Run(%q) = %v, want nil", tc.addr, err)
			}
		})
	}
}

// TestRunRejectsNil checks that a nil app or registry, or a Prefork app, is
// an error at once,
// rather than a server that runs and then crashes at shutdown, and that
// Serve closes its listener then.
func TestRunRejectsNil(t *testing.T) {
	t.Parallel()
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		app  *fiber.App
		h    *core.Registry
		want string
	}{
		{"nil app", nil, h, "fiberhealth: app is nil"},
		{"nil registry", newServerApp(), nil, "fiberhealth: registry is nil"},
		// fiber only warns and serves a single process on a given
		// listener: the option asked for is not what runs.
		{"prefork", fiber.New(fiber.Config{Prefork: true, DisableStartupMessage: true}), h,
			"fiberhealth: Prefork is not supported: fiber does not prefork on a listener it is given; run one process per core instead"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// An address Run must not listen on: it validates first.
			if err := fiberhealth.Run(context.Background(), tc.app, "127.0.0.1:-1", tc.h); err == nil || err.Error() != tc.want {
				t.Errorf("Run = %v, want %q", err, tc.want)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if err := fiberhealth.Serve(context.Background(), tc.app, ln, tc.h); err == nil || err.Error() != tc.want {
				t.Errorf("Serve = %v, want %q", err, tc.want)
			}
			if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Serve did not close its listener on error: Accept = %v", err)
			}
		})
	}
}

// TestServeClosedListener checks that a listener failing under Serve is
// reported rather than waited on, although fasthttp takes it for a normal
// stop.
func TestServeClosedListener(t *testing.T) {
	t.Parallel()
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_ = ln.Close()
	if err := fiberhealth.Serve(context.Background(), newServerApp(), ln, h); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve on a closed listener = %v, want net.ErrClosed", err)
	}
	if h.State() != core.StateStopped {
		t.Errorf("state = %v, want stopped", h.State())
	}
}

// TestServeLeavesNoGoroutines checks that nothing Serve started outlives it,
// fasthttp's worker pool cleaner included, once MaxIdleWorkerDuration has
// passed. It is not parallel, so that the goroutines it sees are its own.
func TestServeLeavesNoGoroutines(t *testing.T) {
	before := goleak.IgnoreCurrent()
	h, err := core.New(core.Options{Logger: quiet, PropagationDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	app := newServerApp()
	app.Use(fiberhealth.Drain(h))
	fiberhealth.Register(app, h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- fiberhealth.Serve(ctx, app, ln, h) }()
	// A keep-alive connection left idle: shutdown must close it.
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + ln.Addr().String() + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	client.CloseIdleConnections()
	goleak.VerifyNone(t, before, fasthttpDate)
}

// newServerApp returns an app to serve on a listener: every test that serves
// must use it. fasthttp's worker pool cleaner notices that Serve returned
// only after MaxIdleWorkerDuration (10s by default); a short one lets goleak
// see it exit, and TestMain does not ignore it.
func newServerApp() *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Server().MaxIdleWorkerDuration = 50 * time.Millisecond
	return app
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 5s waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
