package fiber3health_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/fiber3health"
	"go.uber.org/goleak"
)

// TestRun checks that Run listens on the address it is given
// (conformance.RunAddr). Graceful shutdown and a failing listener, which
// fasthttp takes for a normal stop, are the conformance suite's
// (TestConformance).
func TestRun(t *testing.T) {
	t.Parallel()
	conformance.RunAddr(t, runner)
}

// TestRunRejectsNil checks that a nil app or registry is an error at once,
// from Run and from Serve (conformance.RejectsNil).
func TestRunRejectsNil(t *testing.T) {
	t.Parallel()
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	conformance.RejectsNil(t, runner, []conformance.NilCase[*fiber.App]{
		{Name: "nil app", F: nil, H: h, Want: "fiber3health: app is nil"},
		{Name: "nil registry", F: newServerApp(), H: nil, Want: "fiber3health: registry is nil"},
	})
}

// runner is fiberhealth's pair of runners, serving apps from newServerApp.
var runner = conformance.Runner[*fiber.App]{Run: fiber3health.Run, Serve: fiber3health.Serve, New: newServerApp}

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
	app.Use(fiber3health.Drain(h))
	fiber3health.Register(app, h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- fiber3health.Serve(ctx, app, ln, h) }()
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
	app := fiber.New()
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
