package core

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu          sync.Mutex
	results     int
	transitions []Transition
}

func (r *recorder) ObserveResult(Result) { r.mu.Lock(); r.results++; r.mu.Unlock() }

func (r *recorder) ObserveTransition(t Transition) {
	r.mu.Lock()
	r.transitions = append(r.transitions, t)
	r.mu.Unlock()
}

// safeBuffer is a bytes.Buffer safe for the slog handler's concurrent writes.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestOneLogLinePerTransition(t *testing.T) {
	t.Parallel()
	var logs safeBuffer
	rec := &recorder{}
	r := newTestRegistry(t, Options{Service: "orders", Logger: slog.New(slog.NewTextHandler(&logs, nil)), Observers: []Observer{rec}})
	var failing atomic.Bool
	_ = r.Register(Check{Name: "db", Check: func(context.Context) error {
		if failing.Load() {
			return errors.New("password=hunter2 connection refused")
		}
		return nil
	}})
	probe := func(n int) {
		for range n {
			_, _ = r.Evaluate(context.Background(), Readiness)
		}
	}
	probe(100)
	failing.Store(true)
	probe(100)
	failing.Store(false)
	probe(100)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	want := []string{
		"from=starting to=ready",
		"from=unknown to=ok",
		"from=ok to=unavailable reason=\"connection refused\"",
		"from=unavailable to=ok",
	}
	if len(lines) != len(want) {
		t.Fatalf("300 probes and 3 changes logged %d lines, want %d:\n%s", len(lines), len(want), logs.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %s\nwant it to contain %s", i, lines[i], w)
		}
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Fatal("a raw error reached the log")
	}
	rec.mu.Lock()
	results, transitions := rec.results, len(rec.transitions)
	rec.mu.Unlock()
	if results != 300 || transitions != 4 {
		t.Fatalf("observer saw %d results and %d transitions, want 300 and 4", results, transitions)
	}
	// Components outside core report through the same path.
	r.Notify(Transition{Component: "breaker", Name: "pg", From: "closed", To: "open", Reason: "5 failures"})
	if !strings.Contains(logs.String(), `level=WARN msg="probekit: breaker open" component=breaker name=pg from=closed to=open reason="5 failures"`) {
		t.Fatalf("Notify not logged:\n%s", logs.String())
	}
}

// The log line of a check's transition carries the raw error, redacted, so
// that failures that share a reason can be told apart; observers get the
// raw error (as read once, see userError).
func TestTransitionLogCarriesRedactedError(t *testing.T) {
	t.Parallel()
	var logs safeBuffer
	rec := &recorder{}
	r := newTestRegistry(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Observers: []Observer{rec}})
	raw := errors.New("query postgres://app:hunter2@db/orders:\nERROR: relation \"orders\" does not exist")
	var failing atomic.Bool
	_ = r.Register(Check{Name: "db", Check: func(context.Context) error {
		if failing.Load() {
			return raw
		}
		return nil
	}})
	r.MarkStarted()
	_, _ = r.Evaluate(context.Background(), Readiness)
	failing.Store(true)
	_, _ = r.Evaluate(context.Background(), Readiness)

	out := logs.String()
	want := `to=unavailable reason=failed error="query postgres://[redacted]@db/orders: ERROR: relation \"orders\" does not exist"`
	if !strings.Contains(out, want) {
		t.Errorf("log lacks the redacted error %s:\n%s", want, out)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("the log leaks a password:\n%s", out)
	}
	if n := strings.Count(out, "error="); n != 1 {
		t.Errorf("%d lines carry an error, want only the failing transition's:\n%s", n, out)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var errs []error
	for _, tr := range rec.transitions {
		if tr.Component == "check" {
			errs = append(errs, tr.Err)
		}
	}
	// The registry hands observers the error as read once under containment;
	// errors.Is reaches the check's own error through it.
	if len(errs) != 2 || errs[0] != nil || !errors.Is(errs[1], raw) || errs[1].Error() != raw.Error() {
		t.Errorf("observers saw check transition errors %v, want [<nil> the raw error]", errs)
	}
}

// The slog observer calls the error's Error method, which is user code: a
// panic there must not escape, and the text stays one line.
func TestSlogObserverContainsErrorText(t *testing.T) {
	t.Parallel()
	var typedNil *CheckError
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"panicking Error", &panicError{}, `error="(the error's Error method panicked)"`},
		{"typed nil", typedNil, `error="(the error's Error method panicked)"`},
		{"forged line", errors.New("refused\nlevel=INFO msg=ok"), `error="refused level=INFO msg=ok"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs safeBuffer
			o := NewSlogObserver(slog.New(slog.NewTextHandler(&logs, nil)))
			o.ObserveTransition(Transition{Component: "check", Name: "db", From: "ok", To: "unavailable", Reason: "failed", Err: tt.err})
			out := logs.String()
			if !strings.Contains(out, tt.want) || strings.Count(out, "\n") != 1 {
				t.Errorf("logged %q, want one line with %s", out, tt.want)
			}
		})
	}
}

// A failed shutdown hook's error reaches the log redacted, like a check's.
func TestShutdownHookErrorIsRedacted(t *testing.T) {
	t.Parallel()
	var logs safeBuffer
	r := newTestRegistry(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), PropagationDelay: time.Millisecond})
	_ = r.OnShutdown("store", func(context.Context) error {
		return errors.New("flush redis://:hunter2@cache:6379:\nrefused")
	})
	r.MarkStarted()
	_ = r.Shutdown(context.Background(), nil)
	out := logs.String()
	if want := `err="flush redis://[redacted]@cache:6379: refused"`; !strings.Contains(out, want) {
		t.Errorf("log lacks %s:\n%s", want, out)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("the log leaks a password:\n%s", out)
	}
}
