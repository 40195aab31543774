package fiberhealth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, fasthttpDate) }

// fasthttpDate is the one goroutine fasthttp owns that outlives a server by
// design: it refreshes fasthttp's cached Date header, is started on first use
// and never stops. The worker pool cleaner each Serve starts is not ignored:
// every test and example that serves shortens its
// Server.MaxIdleWorkerDuration (see newServerApp), so it exits soon after
// Serve returns.
var fasthttpDate = goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1")

// quiet keeps the registry's transition log out of the test output.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newRegistry returns a started registry whose checks are all background
// checks that have run once, so that probe bodies are pre-rendered and two
// handlers asked the same question give the same bytes. With failing set, a
// critical readiness check fails.
func newRegistry(tb testing.TB, opts core.Options, failing bool) *core.Registry {
	tb.Helper()
	opts.Service, opts.Version, opts.Instance = "orders", "1.2.3", "pod-0"
	opts.Logger = quiet
	h, err := core.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ok := func(context.Context) error { return nil }
	checks := []core.Check{
		{Name: "db", Check: ok},
		{Name: "db:primary", Check: ok, Kinds: core.Readiness | core.Liveness},
		{Name: "boot", Check: ok, Kinds: core.Startup},
		{Name: "cache", Check: func(context.Context) error {
			return core.Degraded("cache cold", errors.New("miss ratio 0.9"))
		}, Optional: true},
	}
	if failing {
		checks = append(checks, core.Check{Name: "queue", Check: func(context.Context) error {
			return core.Unhealthy("queue unreachable", errors.New("dial tcp 10.0.0.1:4222: refused"))
		}})
	}
	for _, c := range checks {
		c.Interval = time.Hour
		if err := h.Register(c); err != nil {
			tb.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := h.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cancel()
		_ = h.Close()
	})
	waitRan(tb, h)
	return h
}

// waitRan waits until every background check has a result.
func waitRan(tb testing.TB, h *core.Registry) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, kind := range []core.Kind{core.Liveness, core.Readiness, core.Startup} {
		for {
			rep, err := h.Evaluate(context.Background(), kind)
			if err != nil {
				tb.Fatal(err)
			}
			ran := true
			for _, c := range rep.Checks {
				ran = ran && !c.Time.IsZero()
			}
			if ran {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("background %v checks have not run after 5s", kind)
			}
			time.Sleep(time.Millisecond)
		}
	}
}
