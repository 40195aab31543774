package core

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// Stored answers from stored results only: it never runs a check, it agrees
// with the probe once a probe has run the checks, and it follows the
// lifecycle (starting, draining) as the probes do.
func TestStored(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var calls atomic.Int32
	var failing atomic.Bool
	for _, c := range []Check{
		{Name: "db", Kinds: Readiness | Startup, Check: func(context.Context) error {
			calls.Add(1)
			if failing.Load() {
				return errors.New("down")
			}
			return nil
		}},
		{Name: "cache", Kinds: Readiness, Optional: true, Check: func(context.Context) error { return errors.New("cold") }},
		{Name: "loop", Kinds: Liveness, Check: func(context.Context) error { return nil }},
	} {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	stored := func(kind Kind, check string) Status {
		t.Helper()
		st, err := r.Stored(kind, check)
		if err != nil {
			t.Fatalf("Stored(%v, %q): %v", kind, check, err)
		}
		return st
	}

	// Nothing has run: readiness and startup wait for a probe, liveness
	// assumes success, and no check was called.
	if got := stored(Readiness, ""); got != StatusUnavailable {
		t.Errorf("readiness before any probe = %v, want unavailable", got)
	}
	if got := stored(Liveness, ""); got != StatusOK {
		t.Errorf("liveness before any probe = %v, want ok", got)
	}
	if calls.Load() != 0 {
		t.Fatalf("Stored ran the check %d times, want 0", calls.Load())
	}

	ctx := context.Background()
	for _, kind := range []Kind{Startup, Readiness, Liveness} {
		rep, _ := r.Evaluate(ctx, kind)
		if got := stored(kind, ""); got != rep.Status {
			t.Errorf("%v: Stored = %v, Evaluate = %v", kind, got, rep.Status)
		}
	}
	// One check reports its own status, as /readyz/cache does (503).
	if got := stored(Readiness, "cache"); got != StatusUnavailable {
		t.Errorf("optional failing check = %v, want unavailable", got)
	}
	failing.Store(true)
	before := calls.Load()
	if got := stored(Readiness, ""); got != StatusDegraded {
		t.Errorf("readiness before the failure is probed = %v, want the stored degraded", got)
	}
	if calls.Load() != before {
		t.Error("Stored ran a check")
	}
	_, _ = r.Evaluate(ctx, Readiness)
	if got := stored(Readiness, ""); got != StatusUnavailable {
		t.Errorf("readiness after a failed probe = %v, want unavailable", got)
	}

	for _, tt := range []struct {
		kind  Kind
		check string
	}{{Liveness, "db"}, {Readiness, "nope"}, {Kind(0), ""}} {
		if _, err := r.Stored(tt.kind, tt.check); err == nil {
			t.Errorf("Stored(%v, %q) = nil error, want one", tt.kind, tt.check)
		} else if tt.check != "" && !errors.Is(err, ErrUnknownCheck) {
			t.Errorf("Stored(%v, %q) = %v, want ErrUnknownCheck", tt.kind, tt.check, err)
		}
	}

	failing.Store(false)
	_, _ = r.Evaluate(ctx, Readiness)
	r.transition(StateReady, StateDraining, "test")
	if got := stored(Readiness, ""); got != StatusUnavailable {
		t.Errorf("readiness while draining = %v, want unavailable", got)
	}
	if got := stored(Liveness, ""); got != StatusOK {
		t.Errorf("liveness while draining = %v, want ok", got)
	}
}
