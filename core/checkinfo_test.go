package core

import (
	"context"
	"slices"
	"testing"
	"time"
)

// Checks lists what was registered, with defaults applied, sorted by name.
func TestChecks(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	if got := r.Checks(); len(got) != 0 {
		t.Fatalf("Checks() on an empty registry = %v, want none", got)
	}
	ok := func(context.Context) error { return nil }
	for _, c := range []Check{
		{Name: "redis", Check: ok, Optional: true, Interval: time.Minute},
		{Name: "db", Check: ok},
		{Name: "loop", Check: ok, Kinds: Liveness | Startup},
	} {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	want := []CheckInfo{
		{Name: "db", Kinds: Readiness},
		{Name: "loop", Kinds: Liveness | Startup},
		{Name: "redis", Kinds: Readiness, Optional: true, Interval: time.Minute},
	}
	got := r.Checks()
	if !slices.Equal(got, want) {
		t.Fatalf("Checks() = %+v, want %+v", got, want)
	}
	got[0].Name = "changed"
	if r.Checks()[0].Name != "db" {
		t.Fatal("Checks() returned the registry's own storage")
	}
}
