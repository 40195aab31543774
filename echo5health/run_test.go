package echo5health_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echo5health"
)

// TestRun checks that Run listens on the address it is given
// (conformance.RunAddr). Graceful shutdown and a failing listener are the
// conformance suite's (TestConformance).
func TestRun(t *testing.T) {
	t.Parallel()
	conformance.RunAddr(t, runner)
}

// TestRunRejectsNil checks that a nil echo or a nil registry is an error at
// once, from Run and from Serve (conformance.RejectsNil).
func TestRunRejectsNil(t *testing.T) {
	t.Parallel()
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	conformance.RejectsNil(t, runner, []conformance.NilCase[*echo.Echo]{
		{Name: "nil echo", F: nil, H: h, Want: "echo5health: echo is nil"},
		{Name: "nil registry", F: echo.New(), H: nil, Want: "echo5health: registry is nil"},
	})
}

// runner is echohealth's pair of runners, serving a bare echo.
var runner = conformance.Runner[*echo.Echo]{Run: echo5health.Run, Serve: echo5health.Serve, New: echo.New}

// TestServeStoppedBeforeServing checks the moments echo.StartConfig leaves
// between Serve and serving: a shutdown that comes before StartConfig has
// created its http.Server, or before that server serves, still stops Serve,
// which returns nil with its listener closed. A context cancelled before
// Serve is called makes the shutdown race the start; repeated, the race
// lands on each side.
func TestServeStoppedBeforeServing(t *testing.T) {
	t.Parallel()
	for range 20 {
		h, err := core.New(core.Options{Logger: quiet, PropagationDelay: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := echo5health.Serve(ctx, echo.New(), ln, h); err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
		if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("listener still open after Serve: Accept = %v", err)
		}
	}
}
