package core

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a registry clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newClockedRegistry is newTestRegistry on a fake clock, which starts at
// the real time so that the contexts of calls (whose deadlines the
// context package keeps on the real clock) are not born expired.
func newClockedRegistry(t *testing.T) (*Registry, *fakeClock) {
	t.Helper()
	r := newTestRegistry(t, Options{})
	clock := &fakeClock{now: time.Now()}
	r.now = clock.Now
	return r, clock
}

// countingObserver counts the results observers get.
type countingObserver struct{ results atomic.Int64 }

func (o *countingObserver) ObserveResult(Result) { o.results.Add(1) }

func (o *countingObserver) ObserveTransition(Transition) {}

// runningWaiters is how many evaluations wait for the check's call in
// progress (0 when none runs).
func runningWaiters(s *checkState) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running == nil {
		return 0
	}
	return len(s.running.waiters)
}

// TestStormOneCallPerWave: 1,000 concurrent probes of a check that is
// held (a gate, so that the count does not depend on timing) call it once
// per wave, and every probe gets the wave's answer. Without a reuse window
// too: the probes of a wave all arrive while its call runs.
func TestStormOneCallPerWave(t *testing.T) {
	t.Parallel()
	const probes = 1000
	r := newTestRegistry(t, Options{})
	var calls atomic.Int64
	gates := make(chan chan struct{}, 1)
	_ = r.Register(Check{Name: "db", Timeout: time.Minute, Check: func(ctx context.Context) error {
		calls.Add(1)
		gate := <-gates
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	r.MarkStarted()
	h := r.Handler()
	s := r.lookup("db")
	for wave := int64(1); wave <= 3; wave++ {
		gate := make(chan struct{})
		gates <- gate
		codes := make(chan int, probes)
		var wg sync.WaitGroup
		for range probes {
			wg.Go(func() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
				codes <- w.Code
			})
		}
		waitFor(t, func() bool { return runningWaiters(s) == probes })
		close(gate)
		wg.Wait()
		close(codes)
		for code := range codes {
			if code != http.StatusOK {
				t.Fatalf("wave %d: a probe answered %d, want 200", wave, code)
			}
		}
		if n := calls.Load(); n != wave {
			t.Fatalf("after wave %d: %d calls, want %d (one per wave)", wave, n, wave)
		}
	}
}

// TestReuseWindowStormStragglers: the probes of a wave that arrive just
// after its call returned reuse its result within ReuseWindow, so a wave
// calls the check once even when it outlasts the call; without a window
// they call it again.
func TestReuseWindowStormStragglers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		window time.Duration
		reuse  bool
	}{
		{"default: no reuse", 0, false},
		{"window", time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, _ := newClockedRegistry(t)
			var calls atomic.Int64
			gate := make(chan struct{})
			_ = r.Register(Check{Name: "db", ReuseWindow: tc.window, Timeout: time.Minute, Check: func(ctx context.Context) error {
				if calls.Add(1) == 1 {
					<-gate
				}
				return nil
			}})
			r.MarkStarted()
			h := r.Handler()
			probe := func(wg *sync.WaitGroup, n int) {
				for range n {
					wg.Go(func() {
						w := httptest.NewRecorder()
						h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
						if w.Code != http.StatusOK {
							t.Errorf("probe answered %d, want 200", w.Code)
						}
					})
				}
			}
			var early, late sync.WaitGroup
			probe(&early, 500)
			waitFor(t, func() bool { return runningWaiters(r.lookup("db")) == 500 })
			close(gate)
			early.Wait()
			probe(&late, 500) // the stragglers: the clock has not moved
			late.Wait()
			switch n := calls.Load(); {
			case tc.reuse && n != 1:
				t.Errorf("%d calls, want 1: the stragglers reuse the wave's call", n)
			case !tc.reuse && n < 2:
				t.Errorf("%d calls, want more than 1: without a window the stragglers call again", n)
			}
		})
	}
}

// TestReuseWindow: what a ReuseWindow reuses, for how long, and what it
// leaves alone.
func TestReuseWindow(t *testing.T) {
	t.Parallel()
	const window = 100 * time.Millisecond
	down := errors.New("down")

	t.Run("until the window ends, on every path", func(t *testing.T) {
		t.Parallel()
		r, clock := newClockedRegistry(t)
		var calls atomic.Int64
		_ = r.Register(Check{Name: "db", ReuseWindow: window, Kinds: Liveness | Readiness, Check: func(context.Context) error { calls.Add(1); return nil }})
		_ = r.Register(Check{Name: "other", Check: ok})
		r.MarkStarted()
		h := r.Handler()
		ctx := context.Background()
		steps := []struct {
			advance time.Duration
			target  string
			calls   int64
		}{
			{0, "/readyz", 1},
			{0, "/readyz", 1},
			{window / 2, "/livez", 1},
			{0, "/readyz/db", 1},
			{0, "/readyz?exclude=other", 1},
			{window/2 - time.Nanosecond, "/readyz?verbose", 1},
			{time.Nanosecond, "/readyz", 2}, // the window is over: a new call, and a new window
			{window - time.Nanosecond, "/readyz", 2},
		}
		for i, st := range steps {
			clock.Advance(st.advance)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, st.target, nil))
			if w.Code != http.StatusOK || calls.Load() != st.calls {
				t.Fatalf("step %d, GET %s: %d after %d calls, want 200 after %d", i, st.target, w.Code, calls.Load(), st.calls)
			}
		}
		if _, err := r.Evaluate(ctx, Readiness); err != nil || calls.Load() != 2 {
			t.Fatalf("Evaluate: %v after %d calls, want the reused result after 2", err, calls.Load())
		}
	})

	t.Run("a reused failure counts once towards FailureThreshold and reaches observers once", func(t *testing.T) {
		t.Parallel()
		obs := &countingObserver{}
		r := newTestRegistry(t, Options{Observers: []Observer{obs}})
		clock := &fakeClock{now: time.Now()}
		r.now = clock.Now
		_ = r.Register(Check{Name: "db", ReuseWindow: window, FailureThreshold: 2, Check: func(context.Context) error { return down }})
		r.MarkStarted()
		ctx := context.Background()
		for range 5 {
			rep, _ := r.Evaluate(ctx, Readiness)
			if c := rep.Checks[0]; c.Status != StatusUnavailable || c.ConsecutiveFailures != 1 {
				// The first outcome is reported as it is.
				t.Fatalf("within the window: %v after %d failures, want unavailable after 1", c.Status, c.ConsecutiveFailures)
			}
		}
		if n := obs.results.Load(); n != 1 {
			t.Fatalf("observers saw %d results within the window, want 1", n)
		}
		clock.Advance(window)
		rep, _ := r.Evaluate(ctx, Readiness)
		if c := rep.Checks[0]; c.ConsecutiveFailures != 2 || obs.results.Load() != 2 {
			t.Fatalf("after the window: %d failures, %d results observed; want 2 and 2", c.ConsecutiveFailures, obs.results.Load())
		}
	})

	t.Run("never a timeout", func(t *testing.T) {
		t.Parallel()
		r := newTestRegistry(t, Options{}) // the real clock: the call runs out its real deadline
		var calls atomic.Int64
		_ = r.Register(Check{Name: "db", ReuseWindow: time.Hour, Timeout: 10 * time.Millisecond, Check: func(ctx context.Context) error {
			calls.Add(1)
			<-ctx.Done()
			return ctx.Err()
		}})
		r.MarkStarted()
		for i := range 2 {
			rep, _ := r.Evaluate(context.Background(), Readiness)
			if rep.Status != StatusUnavailable {
				t.Fatalf("probe %d: %v, want unavailable", i, rep.Status)
			}
			// The next probe must find the check free: wait for the call
			// (which returns at its deadline) to be over.
			waitFor(t, func() bool { return !r.lookup("db").isRunning() })
		}
		if n := calls.Load(); n != 2 {
			t.Fatalf("%d calls, want 2: a timeout must not be reused", n)
		}
	})
}

// TestReuseWindowValidation: a negative window, or one on a background
// check, is refused with the field named.
func TestReuseWindowValidation(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	for _, c := range []Check{
		{Name: "negative", Check: ok, ReuseWindow: -time.Second},
		{Name: "background", Check: ok, ReuseWindow: time.Second, Interval: time.Minute},
	} {
		err := r.Register(c)
		if !errors.Is(err, ErrInvalidCheck) || !strings.Contains(err.Error(), "ReuseWindow") {
			t.Errorf("Register(%s) = %v, want ErrInvalidCheck naming ReuseWindow", c.Name, err)
		}
	}
}

// TestHungCheckTimesOutOnFrozenClock: a check that never returns is
// answered at its timeout even when the registry's clock does not move:
// the evaluation's timer, not the clock, says that the deadline came.
func TestHungCheckTimesOutOnFrozenClock(t *testing.T) {
	t.Parallel()
	r, _ := newClockedRegistry(t)
	release := make(chan struct{})
	defer close(release)
	_ = r.Register(Check{Name: "hangs", Timeout: 10 * time.Millisecond, Check: func(context.Context) error {
		<-release
		return nil
	}})
	_ = r.Register(Check{Name: "fine", Check: ok})
	r.MarkStarted()
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if c := rep.Checks[1]; c.Name != "hangs" || c.Status != StatusUnavailable || c.Message != "timeout" {
		t.Fatalf("hangs: %+v, want unavailable: timeout", c)
	}
	if c := rep.Checks[0]; c.Status != StatusOK {
		t.Fatalf("fine: %v, want ok", c.Status)
	}
}

// TestClockBeforeYearOne: a registry clock before the zero time (a fake
// clock in a test) still calls a check without a ReuseWindow: the zero
// reuseUntil of a check that never ran is no window.
func TestClockBeforeYearOne(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	at := time.Date(-5, 6, 15, 12, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return at }
	var calls atomic.Int64
	_ = r.Register(Check{Name: "db", Check: func(context.Context) error { calls.Add(1); return nil }})
	r.MarkStarted()
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if rep.Status != StatusOK || calls.Load() != 1 {
		t.Fatalf("%v %q after %d calls, want ok after 1", rep.Status, rep.Checks[0].Message, calls.Load())
	}
}
