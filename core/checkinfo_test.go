package core

import (
	"context"
	"slices"
	"testing"
	"time"
)

// Checks lists every registered check by name, with the defaults New and
// Register filled in, and hands out a copy.
func TestChecks(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{DefaultTimeout: 300 * time.Millisecond})
	if got := r.Checks(); len(got) != 0 {
		t.Fatalf("Checks() of an empty registry = %v, want none", got)
	}
	ok := func(context.Context) error { return nil }
	for _, c := range []Check{
		{Name: "zeta", Check: ok, Kinds: Liveness | Readiness, Optional: true, Timeout: time.Second, Interval: 5 * time.Second},
		{Name: "alpha", Check: ok},
	} {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	want := []CheckInfo{
		{Name: "alpha", Kinds: Readiness, Timeout: 300 * time.Millisecond},
		{Name: "zeta", Kinds: Liveness | Readiness, Optional: true, Timeout: time.Second, Interval: 5 * time.Second},
	}
	got := r.Checks()
	if !slices.Equal(got, want) {
		t.Fatalf("Checks() = %+v, want %+v", got, want)
	}
	got[0].Name = "changed"
	if again := r.Checks(); !slices.Equal(again, want) {
		t.Errorf("Checks() after the caller changed its copy = %+v, want %+v", again, want)
	}
}
