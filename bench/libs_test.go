package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	gosundheit "github.com/AppsFlyer/go-sundheit"
	sundheitchecks "github.com/AppsFlyer/go-sundheit/checks"
	sundheithttp "github.com/AppsFlyer/go-sundheit/http"
	alex "github.com/alexliesenfeld/health"
	hellofresh "github.com/hellofresh/health-go/v5"
	"github.com/probekit/probekit/core"
)

// check is one dependency check, written once and handed to every library
// in that library's own terms.
type check struct {
	name    string
	fn      func(context.Context) error
	timeout time.Duration // 0: the library's default
}

// lib is one health library under comparison. Each constructor builds the
// library the way its README shows for that mode, registers its teardown
// with tb.Cleanup and returns the handler of its readiness probe (probekit's
// answers GET /readyz, the others' any path). Background checks run
// asynchronously and none of the libraries offers a way to wait for their
// first run: callers that need them passed poll the handler (waitStatus).
// A nil constructor means the library has no such mode; the report says so.
type lib struct {
	name string
	// cached: checks run in the background; a probe reads their results.
	cached func(tb testing.TB, cs []check) http.Handler
	// sync: every probe runs the checks.
	sync func(tb testing.TB, cs []check) http.Handler
	// storm: the library's default configuration for checks run by probes
	// (alexliesenfeld caches results for 1 s by default); nil means sync.
	storm func(tb testing.TB, cs []check) http.Handler
}

// libs are the libraries compared, probekit first: every ratio in the
// report is against it.
var libs = []lib{
	{name: "probekit", cached: probekitCached, sync: probekitSync},
	{name: "alexliesenfeld", cached: alexCached, sync: alexSync, storm: alexDefault},
	{name: "hellofresh", sync: hellofreshSync},
	{name: "sundheit", cached: sundheitCached},
}

// stormLibs are libs and, for the probe storm only, probekit with
// Check.ReuseWindow at alexliesenfeld's default cache time: a probe
// arriving within 1 s of a call's end reuses its result.
var stormLibs = append(libs[:len(libs):len(libs)], lib{name: "probekit-reuse1s", storm: probekitReuse})

func instant(context.Context) error { return nil }

// fiveInstant are the checks of the cached and synchronous workloads.
func fiveInstant() []check {
	cs := make([]check, 5)
	for i := range cs {
		cs[i] = check{name: fmt.Sprintf("dep%d", i), fn: instant}
	}
	return cs
}

var quiet = slog.New(slog.DiscardHandler)

// probekitRegistry registers cs with the policy of policy (its Interval,
// ReuseWindow, ...).
func probekitRegistry(tb testing.TB, cs []check, policy core.Check) *core.Registry {
	tb.Helper()
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range cs {
		p := policy
		p.Name, p.Check, p.Timeout = c.name, c.fn, c.timeout
		if err := h.Register(p); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() { _ = h.Close() })
	return h
}

func probekitSync(tb testing.TB, cs []check) http.Handler {
	return probekitRegistry(tb, cs, core.Check{}).Handler()
}

// probekitReuse is probekitSync with Check.ReuseWindow 1s.
func probekitReuse(tb testing.TB, cs []check) http.Handler {
	return probekitRegistry(tb, cs, core.Check{ReuseWindow: time.Second}).Handler()
}

func probekitCached(tb testing.TB, cs []check) http.Handler {
	h := probekitRegistry(tb, cs, core.Check{Interval: time.Hour})
	if err := h.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return h.Handler()
}

func alexCheck(c check) alex.Check {
	return alex.Check{Name: c.name, Check: c.fn, Timeout: c.timeout}
}

func alexHandler(tb testing.TB, opts ...alex.CheckerOption) http.Handler {
	checker := alex.NewChecker(opts...)
	tb.Cleanup(func() {
		if checker.IsStarted() { // Stop on a checker never started dereferences nil
			checker.Stop()
		}
	})
	return alex.NewHandler(checker)
}

// alexSync turns its result cache off: with it on (1 s by default), a probe
// runs no check at all within a second of the last one.
func alexSync(tb testing.TB, cs []check) http.Handler {
	opts := []alex.CheckerOption{alex.WithDisabledCache(), alex.WithDisabledAutostart()}
	for _, c := range cs {
		opts = append(opts, alex.WithCheck(alexCheck(c)))
	}
	return alexHandler(tb, opts...)
}

// alexDefault is alexliesenfeld's default: checks run by probes, results
// cached for 1 s. Autostart is off so that the checker runs no check of its
// own before the first probe (it would run them all once in a goroutine).
func alexDefault(tb testing.TB, cs []check) http.Handler {
	opts := []alex.CheckerOption{alex.WithDisabledAutostart()}
	for _, c := range cs {
		opts = append(opts, alex.WithCheck(alexCheck(c)))
	}
	return alexHandler(tb, opts...)
}

func alexCached(tb testing.TB, cs []check) http.Handler {
	var opts []alex.CheckerOption
	for _, c := range cs {
		opts = append(opts, alex.WithPeriodicCheck(time.Hour, 0, alexCheck(c)))
	}
	return alexHandler(tb, opts...)
}

func hellofreshSync(tb testing.TB, cs []check) http.Handler {
	tb.Helper()
	h, err := hellofresh.New()
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range cs {
		if err := h.Register(hellofresh.Config{Name: c.name, Check: c.fn, Timeout: c.timeout}); err != nil {
			tb.Fatal(err)
		}
	}
	return h.Handler()
}

func sundheitCached(tb testing.TB, cs []check) http.Handler {
	tb.Helper()
	h := gosundheit.New()
	tb.Cleanup(h.DeregisterAll)
	for _, c := range cs {
		fn := c.fn
		sc := &sundheitchecks.CustomCheck{
			CheckName: c.name,
			CheckFunc: func(ctx context.Context) (any, error) { return nil, fn(ctx) },
		}
		opts := []gosundheit.CheckOption{gosundheit.ExecutionPeriod(time.Hour), gosundheit.InitialDelay(0)}
		if c.timeout > 0 {
			opts = append(opts, gosundheit.ExecutionTimeout(c.timeout))
		}
		if err := h.RegisterCheck(sc, opts...); err != nil {
			tb.Fatal(err)
		}
	}
	return sundheithttp.HandleHealthJSON(h)
}
