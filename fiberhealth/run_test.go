package fiberhealth_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/fiberhealth"
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

// TestRunRejectsNil checks that a nil app or registry, or a Prefork app, is
// an error at once, from Run and from Serve (conformance.RejectsNil): fiber
// would only log that it cannot prefork on a given listener and serve one
// process.
func TestRunRejectsNil(t *testing.T) {
	t.Parallel()
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	conformance.RejectsNil(t, runner, []conformance.NilCase[*fiber.App]{
		{Name: "nil app", F: nil, H: h, Want: "fiberhealth: app is nil"},
		{Name: "nil registry", F: newServerApp(), H: nil, Want: "fiberhealth: registry is nil"},
		{Name: "prefork", F: fiber.New(fiber.Config{Prefork: true, DisableStartupMessage: true}), H: h,
			Want: "fiberhealth: Prefork is not supported: fiber does not prefork on a listener it is given; run one process per core instead"},
	})
}

// runner is fiberhealth's pair of runners, serving apps from newServerApp.
var runner = conformance.Runner[*fiber.App]{Run: fiberhealth.Run, Serve: fiberhealth.Serve, New: newServerApp}

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
