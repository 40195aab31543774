package core

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// derefErr's Error dereferences its receiver, as most Error methods do: a
// nil *derefErr returned as an error (var e *derefErr; return e) is the
// typed-nil bug, and its Error panics.
type derefErr struct{ msg string }

func (e *derefErr) Error() string { return e.msg }

func typedNil(context.Context) error {
	var e *derefErr
	return e
}

// panicErr is a non-nil error whose Error panics.
type panicErr struct{}

func (panicErr) Error() string { panic("Error exploded") }

// exitErr is an error whose Error calls runtime.Goexit, as t.FailNow does.
type exitErr struct{}

func (exitErr) Error() string {
	runtime.Goexit()
	return ""
}

// goexit is a check that calls runtime.Goexit, as t.FailNow or testify's
// require do when they fail.
func goexit(context.Context) error {
	runtime.Goexit()
	return nil
}

// untrustedErrors are errors whose methods misbehave, and the reason each
// must be reported with.
var untrustedErrors = []struct {
	name   string
	check  CheckFunc
	reason string
}{
	{"typed nil", typedNil, "check returned a nil *core.derefErr"},
	{"Error panics", func(context.Context) error { return panicErr{} }, "check's error panicked"},
	{"Error calls Goexit", func(context.Context) error { return exitErr{} }, "check's error called runtime.Goexit"},
	{"wrapped typed nil", func(ctx context.Context) error { return Unhealthy("", typedNil(ctx)) }, "check's error panicked"},
}

// TestUntrustedErrorIsContained: an error whose methods panic or exit
// crashed the process (or wedged the check) in every mode; it is now a
// failed result with a reason, and the check runs again at the next probe.
func TestUntrustedErrorIsContained(t *testing.T) {
	t.Parallel()
	modes := []struct {
		name string
		opts Options
		// result evaluates the check twice and returns the second result.
		result func(t *testing.T, r *Registry) (message string, err error)
	}{
		{"probe", Options{}, func(t *testing.T, r *Registry) (string, error) {
			serve(r.Handler(), "GET", "/readyz")
			w := serve(r.Handler(), "GET", "/readyz?verbose")
			if w.Code != 503 {
				t.Fatalf("code = %d, want 503", w.Code)
			}
			msg, _, _ := strings.Cut(strings.TrimPrefix(w.Body.String(), "[-]db failed: "), "\n")
			return msg, r.lookup("db").last().Err
		}},
		{"probe with ExposeErrors", Options{ExposeErrors: true}, func(t *testing.T, r *Registry) (string, error) {
			serve(r.Handler(), "GET", "/readyz")
			if w := serve(r.Handler(), "GET", "/readyz"); w.Code != 503 {
				t.Fatalf("code = %d, want 503", w.Code)
			}
			res := r.lookup("db").last()
			if res.Message != res.Err.Error() {
				t.Fatalf("message %q is not the error's text %q", res.Message, res.Err.Error())
			}
			return res.Message, res.Err
		}},
		{"Evaluate", Options{}, func(t *testing.T, r *Registry) (string, error) {
			_, _ = r.Evaluate(context.Background(), Readiness)
			rep, err := r.Evaluate(context.Background(), Readiness)
			if err != nil || rep.Status != StatusUnavailable {
				t.Fatalf("Evaluate = %v, %v; want unavailable", rep.Status, err)
			}
			return rep.Checks[0].Message, rep.Checks[0].Err
		}},
	}
	for _, m := range modes {
		for _, e := range untrustedErrors {
			t.Run(m.name+"/"+e.name, func(t *testing.T) {
				t.Parallel()
				r := newTestRegistry(t, m.opts)
				var calls atomic.Int32
				check := e.check
				if err := r.Register(Check{Name: "db", Check: func(ctx context.Context) error {
					calls.Add(1)
					return check(ctx)
				}}); err != nil {
					t.Fatal(err)
				}
				r.MarkStarted()
				msg, err := m.result(t, r)
				if !strings.HasPrefix(msg, e.reason) {
					t.Errorf("message = %q, want it to start with %q", msg, e.reason)
				}
				if err == nil || !strings.HasPrefix(err.Error(), e.reason) {
					t.Errorf("Err = %v, want an error that says %q", err, e.reason)
				}
				if n := calls.Load(); n != 2 {
					t.Errorf("two probes made %d calls, want 2: the first run never finished", n)
				}
			})
		}
	}
}

// TestUntrustedErrorInBackgroundCheck: the same in a background check,
// whose scheduler must go on running it.
func TestUntrustedErrorInBackgroundCheck(t *testing.T) {
	t.Parallel()
	for _, e := range untrustedErrors {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRegistry(t, Options{})
			var calls atomic.Int32
			check := e.check
			if err := r.Register(Check{Name: "db", Interval: time.Millisecond, Check: func(ctx context.Context) error {
				calls.Add(1)
				return check(ctx)
			}}); err != nil {
				t.Fatal(err)
			}
			if err := r.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return calls.Load() >= 3 })
			res := r.lookup("db").last()
			if res.Status != StatusUnavailable || res.Message != e.reason || !strings.HasPrefix(res.Err.Error(), e.reason) {
				t.Fatalf("result = %v %q (Err %v), want unavailable %q", res.Status, res.Message, res.Err, e.reason)
			}
			if err := r.Close(); err != nil {
				t.Fatalf("Close = %v", err)
			}
		})
	}
}

// TestCheckCallingGoexit: a check that calls runtime.Goexit (t.FailNow,
// testify's require) left the check marked running forever ("previous run
// still in progress") while Close reported nothing; it is now a failure
// like any other, and the next run starts normally.
func TestCheckCallingGoexit(t *testing.T) {
	t.Parallel()
	const want = "check called runtime.Goexit"
	t.Run("sync", func(t *testing.T) {
		t.Parallel()
		r := newTestRegistry(t, Options{})
		var calls atomic.Int32
		_ = r.Register(Check{Name: "db", Check: func(ctx context.Context) error { calls.Add(1); return goexit(ctx) }})
		r.MarkStarted()
		for i := range 2 {
			rep, _ := r.Evaluate(context.Background(), Readiness)
			if res := rep.Checks[0]; res.Status != StatusUnavailable || res.Message != want || !strings.HasPrefix(res.Err.Error(), want) {
				t.Fatalf("probe %d: %v %q (Err %v), want unavailable %q", i, res.Status, res.Message, res.Err, want)
			}
		}
		if n := calls.Load(); n != 2 {
			t.Fatalf("two probes made %d calls, want 2", n)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
	})
	t.Run("panic while exiting", func(t *testing.T) {
		// A deferred call of the check panics as Goexit unwinds: once that
		// panic is recovered, Goexit resumes.
		t.Parallel()
		r := newTestRegistry(t, Options{})
		_ = r.Register(Check{Name: "db", Check: func(ctx context.Context) error {
			defer func() { panic("cleanup failed") }()
			return goexit(ctx)
		}})
		r.MarkStarted()
		for i := range 2 {
			rep, _ := r.Evaluate(context.Background(), Readiness)
			if res := rep.Checks[0]; res.Message != want {
				t.Fatalf("probe %d: %v %q, want unavailable %q", i, res.Status, res.Message, want)
			}
		}
	})
	t.Run("background", func(t *testing.T) {
		t.Parallel()
		r := newTestRegistry(t, Options{})
		var calls atomic.Int32
		_ = r.Register(Check{Name: "db", Interval: time.Millisecond, Check: func(ctx context.Context) error { calls.Add(1); return goexit(ctx) }})
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return calls.Load() >= 3 })
		if res := r.lookup("db").last(); res.Status != StatusUnavailable || res.Message != want {
			t.Fatalf("result = %v %q, want unavailable %q", res.Status, res.Message, want)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
	})
}

// hangErr is an error whose Error blocks until release is closed.
type hangErr struct{ release <-chan struct{} }

func (e hangErr) Error() string { <-e.release; return "finally" }

// TestHangingErrorIsAbandonedAtTheDeadline: an Error that never returns
// used to hang inside the check's lock, wedging every probe. It now hangs
// only its own call, which is abandoned at the deadline like a hung check,
// and Close names it.
func TestHangingErrorIsAbandonedAtTheDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "db", Timeout: 20 * time.Millisecond, Check: func(context.Context) error { return hangErr{release} }})
	r.MarkStarted()
	for i, want := range []string{"timeout", "timeout (previous run still in progress)"} {
		answered := make(chan Report, 1)
		go func() {
			rep, _ := r.Evaluate(context.Background(), Readiness)
			answered <- rep
		}()
		select {
		case rep := <-answered:
			if res := rep.Checks[0]; res.Status != StatusUnavailable || res.Message != want {
				t.Fatalf("probe %d: %v %q, want unavailable %q", i, res.Status, res.Message, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("probe %d got no answer: the hanging Error wedged it", i)
		}
	}
	if err := r.Close(); err == nil || !strings.Contains(err.Error(), "db") {
		t.Fatalf("Close = %v, want it to name the check still running", err)
	}
}

// misbehaving is an observer that panics or calls runtime.Goexit on every
// call.
type misbehaving struct{ exit bool }

func (o misbehaving) fault() {
	if o.exit {
		runtime.Goexit()
	}
	var m map[string]int
	m["boom"]++ //nolint:staticcheck // SA5000 is the point: a nil map write, a runtime error as a real bug would be
}

func (o misbehaving) ObserveResult(Result)         { o.fault() }
func (o misbehaving) ObserveTransition(Transition) { o.fault() }

// TestObserverFaultsAreContained: an observer that panics crashed the
// process; one that calls runtime.Goexit ended whatever goroutine called it
// (a probe's, Shutdown's, the caller of Notify) or wedged the check. Now
// each call is abandoned, the other observers are still called, and the
// fault is logged once.
func TestObserverFaultsAreContained(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		exit bool
		log  string
	}{
		{"panic", false, "observer panicked: assignment to entry in nil map"},
		{"Goexit", true, "observer called runtime.Goexit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logs := &safeBuffer{}
			rec := &recorder{}
			r := newTestRegistry(t, Options{
				Logger:    slog.New(slog.NewTextHandler(logs, nil)),
				Observers: []Observer{misbehaving{exit: tc.exit}, rec},
			})
			var calls atomic.Int32
			_ = r.Register(Check{Name: "db", Check: func(context.Context) error { calls.Add(1); return errors.New("down") }})
			release := make(chan struct{})
			defer close(release)
			_ = r.Register(Check{Name: "slow", Timeout: 10 * time.Millisecond, Check: func(context.Context) error { <-release; return nil }})

			r.MarkStarted() // a lifecycle transition, on this goroutine
			rep, _ := r.Evaluate(context.Background(), Readiness)
			if rep.Status != StatusUnavailable || rep.Checks[0].Message != "failed" || rep.Checks[1].Message != "timeout" {
				t.Fatalf("first probe: %+v", rep)
			}
			rep, _ = r.Evaluate(context.Background(), Readiness)
			if rep.Checks[0].Message != "failed" || calls.Load() != 2 {
				t.Fatalf("second probe: %q after %d calls; want failed after 2", rep.Checks[0].Message, calls.Load())
			}
			r.Notify(Transition{Component: "breaker", Name: "pg", From: "closed", To: "open"})

			rec.mu.Lock()
			var got []string
			for _, tr := range rec.transitions {
				got = append(got, tr.Component+" "+tr.Name+" "+tr.To)
			}
			results := rec.results
			rec.mu.Unlock()
			want := []string{"lifecycle  ready", "check db unavailable", "check slow unavailable", "breaker pg open"}
			if strings.Join(got, "; ") != strings.Join(want, "; ") {
				t.Errorf("the other observer saw transitions %q, want %q", got, want)
			}
			if results < 3 { // a third of slow's may count, depending on timing
				t.Errorf("the other observer saw %d results, want 3 or more", results)
			}
			if n := strings.Count(logs.String(), tc.log); n != 1 {
				t.Errorf("%q logged %d times, want once:\n%s", tc.log, n, logs)
			}
		})
	}
}

// TestHookFaultsAreContained: a hook that called runtime.Goexit ended the
// goroutine running Shutdown, so Shutdown never returned; one returning a
// typed nil was reported as "<nil>". Both are now errors that say what
// happened, and the other hooks still run.
func TestHookFaultsAreContained(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Nanosecond})
	var ran atomic.Bool
	_ = r.OnShutdown("first", func(context.Context) error { ran.Store(true); return nil })
	_ = r.OnShutdown("exits", func(context.Context) error { runtime.Goexit(); return nil })
	_ = r.OnShutdown("nil", typedNil)

	result := make(chan error, 1)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		result <- r.Shutdown(context.Background(), nil)
	}()
	<-ended
	var err error
	select {
	case err = <-result:
	default:
		t.Fatal("Shutdown never returned: a hook's runtime.Goexit ended its goroutine")
	}
	for _, want := range []string{
		`core: shutdown hook "exits": hook called runtime.Goexit`,
		`core: shutdown hook "nil": hook returned a nil *core.derefErr`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Shutdown = %v, want it to say %q", err, want)
		}
	}
	if !ran.Load() || r.State() != StateStopped {
		t.Fatalf("first hook ran: %v, state %v; want true, stopped", ran.Load(), r.State())
	}
}
