package breaker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/probekit/probekit/core"
)

// observer records what a core.Registry reports.
type observer struct{ rec recorder }

func (o *observer) ObserveResult(core.Result)           {}
func (o *observer) ObserveTransition(t core.Transition) { o.rec.notify(t) }

// breakerPath returns the transitions of the named breaker the observer saw.
func (o *observer) breakerPath(name string) string {
	var r recorder
	o.rec.mu.Lock()
	for _, t := range o.rec.ts {
		if t.Component == "breaker" && t.Name == name {
			r.ts = append(r.ts, t)
		}
	}
	o.rec.mu.Unlock()
	return r.path()
}

func newRegistry(t *testing.T, logs *bytes.Buffer, obs ...core.Observer) *core.Registry {
	t.Helper()
	h := slog.DiscardHandler
	if logs != nil {
		h = slog.NewTextHandler(logs, nil)
	}
	r, err := core.New(core.Options{Service: "test", Logger: slog.New(h), Observers: obs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func evaluate(t *testing.T, h *core.Registry) (core.Report, map[string]core.Result) {
	t.Helper()
	rep, err := h.Evaluate(context.Background(), core.Readiness)
	if err != nil {
		t.Fatal(err)
	}
	byName := make(map[string]core.Result)
	for _, res := range rep.Checks {
		byName[res.Name] = res
	}
	return rep, byName
}

// TestCheckFollowsTheBreaker registers the state check of a critical and an
// optional dependency and walks both breakers through every state.
func TestCheckFollowsTheBreaker(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		obs := &observer{}
		h := newRegistry(t, nil, obs)
		set := Settings{FailureThreshold: 2, OpenTimeout: 10 * time.Second, Retry: noRetry, Notify: h.Notify}
		pg := mustNew(t, "postgres", set)
		cache := mustNew(t, "redis", set)
		for _, c := range []core.Check{
			{Name: "postgres", Check: pg.Check()},
			{Name: "redis", Check: cache.Check(), Optional: true},
		} {
			if err := h.Register(c); err != nil {
				t.Fatal(err)
			}
		}
		ctx := context.Background()
		fail := func(context.Context) error { return errRefused }
		ok := func(context.Context) error { return nil }

		rep, _ := evaluate(t, h)
		if rep.Status != core.StatusOK {
			t.Fatalf("closed: report %v %q, want ok", rep.Status, rep.Message)
		}

		// The optional dependency's breaker opens: degraded.
		time.Sleep(time.Second)
		tripped := stamp(time.Now())
		for range 2 {
			_ = cache.Do(ctx, fail)
		}
		rep, res := evaluate(t, h)
		if rep.Status != core.StatusDegraded {
			t.Errorf("optional open: report %v, want degraded", rep.Status)
		}
		want := "open since " + tripped + " after 2 consecutive failures: connection refused"
		if got := res["redis"]; got.Status != core.StatusUnavailable || got.Message != want {
			t.Errorf("optional open: check %v %q, want unavailable %q", got.Status, got.Message, want)
		}

		// The critical one opens too: unavailable.
		for range 2 {
			_ = pg.Do(ctx, fail)
		}
		rep, res = evaluate(t, h)
		if rep.Status != core.StatusUnavailable {
			t.Errorf("critical open: report %v, want unavailable", rep.Status)
		}
		if got := res["postgres"].Message; got != want {
			t.Errorf("critical open: message %q, want %q", got, want)
		}

		// Half-open: degraded, and says so.
		time.Sleep(11 * time.Second)
		halfOpen := stamp(time.Now())
		rep, res = evaluate(t, h)
		if rep.Status != core.StatusDegraded {
			t.Errorf("half-open: report %v, want degraded", rep.Status)
		}
		want = "half-open since " + halfOpen + ", trying recovery; open since " + tripped + " after 2 consecutive failures: connection refused"
		if got := res["postgres"]; got.Status != core.StatusDegraded || got.Message != want {
			t.Errorf("half-open: check %v %q, want degraded %q", got.Status, got.Message, want)
		}

		// A failed trial: open again, since the first trip.
		_ = pg.Do(ctx, fail)
		_, res = evaluate(t, h)
		want = "open since " + tripped + " after 2 consecutive failures and 1 failed recovery trial: connection refused"
		if got := res["postgres"].Message; got != want {
			t.Errorf("re-opened: message %q, want %q", got, want)
		}

		// Both recover.
		time.Sleep(11 * time.Second)
		_ = pg.Do(ctx, ok)
		_ = cache.Do(ctx, ok)
		rep, _ = evaluate(t, h)
		if rep.Status != core.StatusOK {
			t.Errorf("recovered: report %v %q, want ok", rep.Status, rep.Message)
		}
		for name, want := range map[string]string{
			"postgres": "closed>open>half-open>open>half-open>closed",
			"redis":    "closed>open>half-open>closed",
		} {
			if got := obs.breakerPath(name); got != want {
				t.Errorf("%s: observers saw %s, want %s", name, got, want)
			}
		}
	})
}

// TestCheckShowsNoSecrets: the message holds only the classified reason.
func TestCheckShowsNoSecrets(t *testing.T) {
	t.Parallel()
	b := mustNew(t, "postgres", Settings{FailureThreshold: 1, Retry: noRetry})
	leaky := fmt.Errorf("connect postgres://app:hunter2@10.0.0.7:5432/orders: %w", syscall.ECONNREFUSED)
	_ = b.Do(context.Background(), func(context.Context) error { return leaky })

	err := b.Check()(context.Background())
	var ce *core.CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("Check = %v, want a *core.CheckError", err)
	}
	if strings.Contains(ce.Reason, "hunter2") || strings.Contains(ce.Reason, "10.0.0.7") {
		t.Errorf("reason %q leaks the error text", ce.Reason)
	}
	if !strings.HasSuffix(ce.Reason, ": connection refused") {
		t.Errorf("reason %q does not say why", ce.Reason)
	}
	if !errors.Is(err, leaky) {
		t.Errorf("Check's error does not wrap the failure (for ExposeErrors)")
	}
}

// TestTransitionsAreLoggedOnce: one slog line per breaker transition.
func TestTransitionsAreLoggedOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		h := newRegistry(t, &logs)
		b := mustNew(t, "postgres", Settings{FailureThreshold: 1, OpenTimeout: time.Second, Retry: noRetry, Notify: h.Notify})
		ctx := context.Background()
		for range 5 { // one trip; the rest are rejected
			_ = b.Do(ctx, func(context.Context) error { return errRefused })
		}
		for range 5 {
			b.State()
			_ = b.Check()(ctx)
		}
		time.Sleep(2 * time.Second)
		for range 5 {
			_ = b.Do(ctx, func(context.Context) error { return nil })
			b.State()
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if strings.Contains(l, "component=breaker") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 3 {
			t.Fatalf("%d breaker log lines, want 3 (open, half-open, closed):\n%s", len(lines), logs.String())
		}
		for i, want := range []string{
			`level=WARN msg="probekit: breaker open" component=breaker name=postgres from=closed to=open reason="1 consecutive failure: connection refused"`,
			`level=WARN msg="probekit: breaker half-open" component=breaker name=postgres from=open to=half-open reason="open timeout elapsed, trying recovery"`,
			`level=INFO msg="probekit: breaker closed" component=breaker name=postgres from=half-open to=closed reason=recovered`,
		} {
			if !strings.HasSuffix(lines[i], want) {
				t.Errorf("line %d:\n%s\nwant it to end with\n%s", i, lines[i], want)
			}
		}
	})
}

func TestGuard(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newRegistry(t, nil)
		// Retry is set to show that Guard ignores it: probes never retry.
		b := mustNew(t, "postgres-probe", Settings{FailureThreshold: 2, OpenTimeout: 10 * time.Second, Retry: Retry{MaxAttempts: 5}, Notify: h.Notify})
		var pings atomic.Int32
		var down atomic.Bool
		down.Store(true)
		ping := func(context.Context) error {
			pings.Add(1)
			if down.Load() {
				return core.Unhealthy("postgres unreachable", errRefused)
			}
			return nil
		}
		if err := h.Register(core.Check{Name: "postgres", Check: b.Guard(ping)}); err != nil {
			t.Fatal(err)
		}

		// Closed: each probe pings once and reports the ping's own error.
		for i := range 2 {
			_, res := evaluate(t, h)
			if got := res["postgres"]; got.Status != core.StatusUnavailable || got.Message != "postgres unreachable" {
				t.Errorf("probe %d: %v %q, want the ping's failure", i+1, got.Status, got.Message)
			}
		}
		if n := pings.Load(); n != 2 {
			t.Fatalf("%d pings for 2 probes, want 2 (no retries)", n)
		}

		// Open: probes answer from the breaker, without pinging.
		for range 10 {
			_, res := evaluate(t, h)
			if got := res["postgres"].Message; !strings.HasPrefix(got, "open since ") || !strings.HasSuffix(got, "after 2 consecutive failures: postgres unreachable") {
				t.Errorf("open: message %q", got)
			}
		}
		if n := pings.Load(); n != 2 {
			t.Errorf("%d pings, want still 2 while open", n)
		}

		// Half-open: one trial ping; it succeeds and the breaker closes.
		time.Sleep(11 * time.Second)
		down.Store(false)
		rep, _ := evaluate(t, h)
		if rep.Status != core.StatusOK || pings.Load() != 3 || b.State() != StateClosed {
			t.Errorf("after recovery: report %v, %d pings, breaker %v; want ok, 3, closed", rep.Status, pings.Load(), b.State())
		}
	})
}

// TestGuardHalfOpenAnswersWithoutCalling: while a trial probe runs, other
// calls of the guarded check answer from the breaker at once.
func TestGuardHalfOpenAnswersWithoutCalling(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, "probe", Settings{FailureThreshold: 1, OpenTimeout: time.Second})
		release := make(chan struct{})
		var calls atomic.Int32
		check := b.Guard(func(ctx context.Context) error {
			if calls.Add(1) == 1 {
				return errRefused
			}
			<-release
			return nil
		})
		ctx := context.Background()
		_ = check(ctx) // trips
		time.Sleep(2 * time.Second)

		var wg sync.WaitGroup
		wg.Go(func() {
			if err := check(ctx); err != nil {
				t.Errorf("trial: %v", err)
			}
		})
		synctest.Wait()
		err := check(ctx)
		var ce *core.CheckError
		if !errors.As(err, &ce) || !ce.Degraded || !strings.HasPrefix(ce.Reason, "half-open since ") {
			t.Errorf("during the trial: %v, want a degraded half-open answer", err)
		}
		if n := calls.Load(); n != 2 {
			t.Errorf("%d calls, want 2 (the failure and the trial)", n)
		}
		close(release)
		wg.Wait()
	})
}

func TestGuardNil(t *testing.T) {
	t.Parallel()
	b := mustNew(t, "probe", Settings{})
	if b.Guard(nil) != nil {
		t.Fatal("Guard(nil) is not nil")
	}
	h := newRegistry(t, nil)
	if err := h.Register(core.Check{Name: "x", Check: b.Guard(nil)}); err == nil {
		t.Error("core accepted Guard(nil)")
	}
}

// TestGuardDegradedIsNotAFailure: a check that keeps answering degraded
// must not trip the guard, which would then report it unavailable.
func TestGuardDegradedIsNotAFailure(t *testing.T) {
	t.Parallel()
	b := mustNew(t, "replica", Settings{FailureThreshold: 2})
	var calls atomic.Int32
	check := b.Guard(func(context.Context) error {
		calls.Add(1)
		return core.Degraded("replication lag 30s", nil)
	})
	for range 5 {
		err := check(context.Background())
		var ce *core.CheckError
		if !errors.As(err, &ce) || !ce.Degraded || ce.Reason != "replication lag 30s" {
			t.Fatalf("guarded check = %v, want the check's degraded result", err)
		}
	}
	if calls.Load() != 5 || b.State() != StateClosed {
		t.Errorf("%d calls, breaker %v; want 5 and closed", calls.Load(), b.State())
	}
}
