package core

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// Observers added after New see what happens from then on, in order with
// the others, and nothing once removed.
func TestAddObserver(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	if _, err := r.AddObserver(nil); err == nil {
		t.Fatal("AddObserver(nil) = nil error, want one")
	}
	fail := errors.New("down")
	var failing atomic.Bool
	if err := r.Register(Check{Name: "db", Check: func(context.Context) error {
		if failing.Load() {
			return fail
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	rec := &recorder{}
	remove, err := r.AddObserver(rec)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = r.Evaluate(context.Background(), Readiness) // unknown -> ok
	failing.Store(true)
	_, _ = r.Evaluate(context.Background(), Readiness) // ok -> unavailable
	remove()
	remove() // idempotent
	failing.Store(false)
	_, _ = r.Evaluate(context.Background(), Readiness) // not seen
	r.Notify(Transition{Component: "breaker", Name: "x", From: "closed", To: "open"})

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.results != 2 {
		t.Errorf("removed observer saw %d results, want the 2 before remove", rec.results)
	}
	var got []string
	for _, tr := range rec.transitions {
		got = append(got, tr.Name+":"+tr.From+"->"+tr.To)
	}
	want := []string{"db:unknown->ok", "db:ok->unavailable"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("transitions seen = %v, want %v", got, want)
	}
}
