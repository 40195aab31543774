package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestChecksRunConcurrently(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	for i := range 10 {
		if err := r.Register(Check{Name: fmt.Sprintf("slow%d", i), Check: func(ctx context.Context) error {
			time.Sleep(50 * time.Millisecond)
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
	}
	r.MarkStarted()
	start := time.Now()
	rep, err := r.Evaluate(context.Background(), Readiness)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != StatusOK || len(rep.Checks) != 10 {
		t.Fatalf("report = %v with %d checks, want ok with 10", rep.Status, len(rep.Checks))
	}
	// Sequential would take 500ms; the bound is generous so noise cannot fail it.
	if elapsed > 250*time.Millisecond {
		t.Fatalf("10 checks of 50ms took %v: they did not run concurrently", elapsed)
	}
}

// blockingCheck returns a check that ignores its context and blocks until
// release is closed, counting its calls.
func blockingCheck(calls *atomic.Int32, release <-chan struct{}) CheckFunc {
	return func(context.Context) error {
		calls.Add(1)
		<-release
		return nil
	}
}

func TestStuckCheckIsSingleFlight(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var calls atomic.Int32
	release := make(chan struct{})
	defer close(release) // lets the abandoned call return before goleak looks
	if err := r.Register(Check{Name: "stuck", Check: blockingCheck(&calls, release), Timeout: 30 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()

	start := time.Now()
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("probe took %v; it must answer by the check's timeout", d)
	}
	if rep.Status != StatusUnavailable || rep.Checks[0].Message != "timeout" {
		t.Fatalf("report = %v %q, want unavailable with a timeout", rep.Status, rep.Checks[0].Message)
	}

	var wg sync.WaitGroup
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, _ := r.Evaluate(context.Background(), Readiness)
			if rep.Status != StatusUnavailable || !strings.HasPrefix(rep.Checks[0].Message, "timeout") {
				t.Errorf("probe during a stuck call = %v %q", rep.Status, rep.Checks[0].Message)
			}
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("the stuck check was called %d times, want 1 (single-flight)", n)
	}
}

func TestConcurrentProbesCoalesce(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var calls atomic.Int32
	if err := r.Register(Check{Name: "db", Check: func(context.Context) error {
		calls.Add(1)
		time.Sleep(300 * time.Millisecond)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			if rep, _ := r.Evaluate(context.Background(), Readiness); rep.Status != StatusOK {
				t.Errorf("status = %v", rep.Status)
			}
		}()
	}
	close(gate)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("50 concurrent probes made %d calls, want 1", n)
	}
	// A later probe starts a fresh call: coalescing is not caching.
	_, _ = r.Evaluate(context.Background(), Readiness)
	if n := calls.Load(); n != 2 {
		t.Fatalf("a sequential probe made %d calls in all, want 2", n)
	}
}

func TestPanickingCheck(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	if err := r.Register(Check{Name: "boom", Check: func(context.Context) error { panic("kaboom at 0xdead") }}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	rep, _ := r.Evaluate(context.Background(), Readiness)
	res := rep.Checks[0]
	if rep.Status != StatusUnavailable || res.Message != "panic" {
		t.Fatalf("report = %v, message %q; want unavailable, panic", rep.Status, res.Message)
	}
	if res.Err == nil || res.Err.Error() != "panic: kaboom at 0xdead" {
		t.Fatalf("Err = %v, want the panic message", res.Err)
	}
}

func TestCanceledProbeDoesNotCancelSharedCall(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	started := make(chan struct{})
	if err := r.Register(Check{Name: "db", Check: func(ctx context.Context) error {
		close(started)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
			return nil
		}
	}}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	rep, _ := r.Evaluate(ctx, Readiness)
	if rep.Checks[0].Message != "canceled" {
		t.Fatalf("canceled probe message = %q, want canceled", rep.Checks[0].Message)
	}
	// The call goes on and records its own success.
	deadline := time.Now().Add(2 * time.Second)
	for r.lookup("db").last().LastSuccess.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("the shared call was canceled with the probe")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestThresholds(t *testing.T) {
	t.Parallel()
	fail := errors.New("down")
	tests := []struct {
		name       string
		fail, succ int
		outcomes   []error
		want       []Status
	}{
		{"defaults flip at once", 0, 0,
			[]error{nil, fail, nil},
			[]Status{StatusOK, StatusUnavailable, StatusOK}},
		{"three failures to fail", 3, 1,
			[]error{nil, fail, fail, nil, fail, fail, fail, nil},
			[]Status{StatusOK, StatusOK, StatusOK, StatusOK, StatusOK, StatusOK, StatusUnavailable, StatusOK}},
		{"two successes to recover", 1, 2,
			[]error{fail, nil, fail, nil, nil, nil},
			[]Status{StatusUnavailable, StatusUnavailable, StatusUnavailable, StatusUnavailable, StatusOK, StatusOK}},
		{"first outcome reported as is", 3, 3,
			[]error{fail, nil, nil, nil},
			[]Status{StatusUnavailable, StatusUnavailable, StatusUnavailable, StatusOK}},
		{"degraded follows at once while failing", 1, 1,
			[]error{fail, Degraded("slow", nil), nil},
			[]Status{StatusUnavailable, StatusDegraded, StatusOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRegistry(t, Options{})
			var i atomic.Int32
			if err := r.Register(Check{Name: "dep", FailureThreshold: tt.fail, SuccessThreshold: tt.succ,
				Check: func(context.Context) error { return tt.outcomes[i.Load()] }}); err != nil {
				t.Fatal(err)
			}
			r.MarkStarted()
			for n, want := range tt.want {
				i.Store(int32(n))
				rep, _ := r.Evaluate(context.Background(), Readiness)
				if got := rep.Checks[0].Status; got != want {
					t.Fatalf("after outcome %d (%v): status %v, want %v (%q)", n, tt.outcomes[n], got, want, rep.Checks[0].Message)
				}
			}
		})
	}
}

func TestResultBookkeeping(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var failing atomic.Bool
	if err := r.Register(Check{Name: "dep", FailureThreshold: 3, Check: func(context.Context) error {
		if failing.Load() {
			return errors.New("dial tcp 10.0.0.1:5432: password=hunter2")
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	rep, _ := r.Evaluate(context.Background(), Readiness)
	success := rep.Checks[0].LastSuccess
	if success.IsZero() {
		t.Fatal("LastSuccess not set")
	}
	failing.Store(true)
	_, _ = r.Evaluate(context.Background(), Readiness)
	rep, _ = r.Evaluate(context.Background(), Readiness)
	res := rep.Checks[0]
	if res.ConsecutiveFailures != 2 || !res.LastSuccess.Equal(success) || res.Status != StatusOK {
		t.Fatalf("result = %+v; want 2 failures, still ok below the threshold, LastSuccess kept", res)
	}
	if res.Message != "failed (failure 2 of 3)" {
		t.Fatalf("message = %q", res.Message)
	}
	if strings.Contains(res.Message, "hunter2") {
		t.Fatal("raw error leaked into the message")
	}
}

func TestBackgroundChecks(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var calls atomic.Int32
	var failing atomic.Bool
	if err := r.Register(Check{Name: "bg", Interval: 10 * time.Millisecond, Check: func(context.Context) error {
		calls.Add(1)
		if failing.Load() {
			return errors.New("down")
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if got := rep.Checks[0]; got.Status != StatusUnavailable || got.Message != notStarted {
		t.Fatalf("before Start: %v %q", got.Status, got.Message)
	}
	if calls.Load() != 0 {
		t.Fatal("a probe ran a background check")
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("second Start = %v", err)
	}
	waitFor(t, func() bool { return r.lookup("bg").last().Status == StatusOK })
	failing.Store(true)
	waitFor(t, func() bool { return r.lookup("bg").last().Status == StatusUnavailable })
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	n := calls.Load()
	time.Sleep(30 * time.Millisecond)
	if calls.Load() != n {
		t.Fatal("background check still running after Close")
	}
	if err := r.Register(Check{Name: "late", Check: ok}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Register after Close = %v", err)
	}
}

func TestCheckRegisteredAfterStartIsScheduled(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(Check{Name: "late", Interval: 5 * time.Millisecond, InitialDelay: 5 * time.Millisecond, Check: ok}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return r.lookup("late").last().Status == StatusOK })
}

func TestCloseReportsStuckChecks(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var calls atomic.Int32
	release := make(chan struct{})
	defer close(release)
	if err := r.Register(Check{Name: "stuck", Interval: time.Hour, Timeout: 20 * time.Millisecond, Check: blockingCheck(&calls, release)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return calls.Load() == 1 })
	err := r.Close()
	if err == nil || !strings.Contains(err.Error(), "stuck") {
		t.Fatalf("Close = %v, want it to name the stuck check", err)
	}
}

func TestAggregation(t *testing.T) {
	t.Parallel()
	down := func(context.Context) error { return errors.New("down") }
	slow := func(context.Context) error { return Degraded("slow replies", nil) }
	tests := []struct {
		name     string
		checks   []Check
		degraded bool // Options.DegradedUnavailable
		want     Status
		code     int
		message  string
	}{
		{"all ok", []Check{{Name: "a", Check: ok}, {Name: "b", Check: ok}}, false, StatusOK, 200, ""},
		{"critical failure", []Check{{Name: "a", Check: down}, {Name: "b", Check: ok}}, false, StatusUnavailable, 503, "failed: a"},
		{"optional failure", []Check{{Name: "a", Check: ok}, {Name: "b", Check: down, Optional: true}}, false, StatusDegraded, 200, "degraded: b"},
		{"optional failure, degraded is 503", []Check{{Name: "b", Check: down, Optional: true}}, true, StatusDegraded, 503, "degraded: b"},
		{"critical degraded", []Check{{Name: "a", Check: slow}}, false, StatusDegraded, 200, "degraded: a"},
		{"both", []Check{{Name: "a", Check: down}, {Name: "b", Check: down, Optional: true}}, false, StatusUnavailable, 503, "failed: a; degraded: b"},
		{"no checks", nil, false, StatusOK, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRegistry(t, Options{DegradedUnavailable: tt.degraded})
			for _, c := range tt.checks {
				if err := r.Register(c); err != nil {
					t.Fatal(err)
				}
			}
			r.MarkStarted()
			rep, _ := r.Evaluate(context.Background(), Readiness)
			if rep.Status != tt.want || r.StatusCode(rep.Status) != tt.code || rep.Message != tt.message {
				t.Fatalf("got %v %d %q, want %v %d %q", rep.Status, r.StatusCode(rep.Status), rep.Message, tt.want, tt.code, tt.message)
			}
		})
	}
}

func TestEvaluateArguments(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "db", Check: ok})
	_ = r.Register(Check{Name: "loop", Check: ok, Kinds: Liveness})
	if _, err := r.Evaluate(context.Background(), Liveness|Readiness); err == nil {
		t.Fatal("a combined kind was accepted")
	}
	if _, err := r.Evaluate(context.Background(), Readiness, "loop"); !errors.Is(err, ErrUnknownCheck) {
		t.Fatalf("excluding a liveness check from readiness = %v", err)
	}
	rep, err := r.Evaluate(context.Background(), Liveness, "loop")
	if err != nil || len(rep.Checks) != 0 {
		t.Fatalf("exclude: %v, %d checks", err, len(rep.Checks))
	}
}

// waitFor polls cond for up to 5s; the bound only stops a broken test.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
