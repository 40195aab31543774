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
