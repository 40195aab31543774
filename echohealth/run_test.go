package echohealth_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echohealth"
)

// TestRun checks that Run listens on the address it is given
// (conformance.RunAddr). Graceful shutdown and a failing listener are the
// conformance suite's (TestConformance).
func TestRun(t *testing.T) {
	t.Parallel()
	conformance.RunAddr(t, runner)
}

// TestRunRejectsNil checks that a nil echo, an echo without its Server, or
// a nil registry is an error at once, from Run and from Serve
// (conformance.RejectsNil).
func TestRunRejectsNil(t *testing.T) {
	t.Parallel()
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	conformance.RejectsNil(t, runner, []conformance.NilCase[*echo.Echo]{
		{Name: "nil echo", F: nil, H: h, Want: "echohealth: echo is nil"},
		{Name: "nil server", F: &echo.Echo{}, H: h, Want: "echohealth: echo's Server is nil"},
		{Name: "nil registry", F: echo.New(), H: nil, Want: "echohealth: registry is nil"},
	})
}

// runner is echohealth's pair of runners, serving a bare echo.
var runner = conformance.Runner[*echo.Echo]{Run: echohealth.Run, Serve: echohealth.Serve, New: echo.New}

// TestServeReadHeaderTimeout checks that Serve sets ReadHeaderTimeout when
// the server has none and keeps the caller's otherwise.
func TestServeReadHeaderTimeout(t *testing.T) {
	t.Parallel()
	for _, preset := range []time.Duration{0, 3 * time.Second} {
		h, err := core.New(core.Options{Logger: quiet, PropagationDelay: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		e := echo.New()
		e.Server.ReadHeaderTimeout = preset
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := echohealth.Serve(ctx, e, ln, h); err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
		want := preset
		if want == 0 {
			want = echohealth.ReadHeaderTimeout
		}
		if got := e.Server.ReadHeaderTimeout; got != want {
			t.Errorf("ReadHeaderTimeout preset %v: after Serve %v, want %v", preset, got, want)
		}
	}
}
