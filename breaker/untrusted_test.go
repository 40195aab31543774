package breaker

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/probekit/probekit/core"
)

// derefErr's Error dereferences its receiver: a nil *derefErr returned as
// an error (var e *derefErr; return e) panics when read.
type derefErr struct{ msg string }

func (e *derefErr) Error() string { return e.msg }

func typedNil(context.Context) error {
	var e *derefErr
	return e
}

// TestTypedNilFailure: a failure whose error is a typed nil panicked under
// gobreaker's lock in the call that tripped the breaker, and in every
// health check after. It is now read once, when the call fails, and
// reported by its type.
func TestTypedNilFailure(t *testing.T) {
	t.Parallel()
	const reason = "call returned a nil *breaker.derefErr"
	obs := &observer{}
	h := newRegistry(t, nil, obs)
	b := mustNew(t, "pg", Settings{FailureThreshold: 1, OpenTimeout: time.Hour, Retry: noRetry, Notify: h.Notify})

	if err := b.Do(context.Background(), typedNil); err == nil {
		t.Fatal("Do = nil, want the failure")
	}
	if b.State() != StateOpen {
		t.Fatalf("state = %v, want open", b.State())
	}
	if tr := obs.rec.last(); tr.Reason != "1 consecutive failure: "+reason {
		t.Fatalf("transition reason = %q, want it to name the typed nil", tr.Reason)
	}
	for range 2 {
		err := b.Check()(context.Background())
		if err == nil || !strings.HasSuffix(core.Reason(err), ": "+reason) || !strings.Contains(err.Error(), reason) {
			t.Fatalf("Check = %v (reason %q), want open with %q", err, core.Reason(err), reason)
		}
	}
}

// TestGuardedTypedNil: the same through Guard, inside a registry: the run
// that trips the breaker and the probes after it report the typed nil, not
// a panic.
func TestGuardedTypedNil(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, nil)
	b := mustNew(t, "pg", Settings{FailureThreshold: 1, OpenTimeout: time.Hour, Retry: noRetry})
	if err := h.Register(core.Check{Name: "pg", Check: b.Guard(typedNil)}); err != nil {
		t.Fatal(err)
	}
	h.MarkStarted()
	for i, want := range []string{
		"check returned a nil *breaker.derefErr",                             // the call itself, read by the registry
		"after 1 consecutive failure: call returned a nil *breaker.derefErr", // the open breaker's answer
		"after 1 consecutive failure: call returned a nil *breaker.derefErr",
	} {
		_, res := evaluate(t, h)
		if msg := res["pg"].Message; !strings.Contains(msg, want) {
			t.Fatalf("probe %d: message %q, want it to contain %q", i, msg, want)
		}
	}
}

// TestGoexitTrialDoesNotWedge: a trial call of the half-open breaker that
// calls runtime.Goexit (t.FailNow, testify's require in a guarded check)
// never returned to gobreaker, which kept counting it as in flight: the
// breaker stayed half-open for good, refusing every call with "too many
// requests". It now counts as a failed trial, and the goroutine still ends.
func TestGoexitTrialDoesNotWedge(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, "pg", Settings{FailureThreshold: 1, OpenTimeout: time.Second, Retry: noRetry})
		ctx := context.Background()
		_ = b.Do(ctx, func(context.Context) error { return errRefused })
		time.Sleep(2 * time.Second)
		if got := b.State(); got != StateHalfOpen {
			t.Fatalf("state %v, want half-open", got)
		}
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			_ = b.Do(ctx, func(context.Context) error { runtime.Goexit(); return nil })
			t.Error("Do returned after its fn called runtime.Goexit")
		}()
		<-ended
		time.Sleep(2 * time.Second) // a failed trial opens the breaker again, for OpenTimeout
		if err := b.Do(ctx, func(context.Context) error { return nil }); err != nil {
			t.Fatalf("Do after the trial that exited = %v, want the call made", err)
		}
		if got := b.State(); got != StateClosed {
			t.Fatalf("state %v, want closed", got)
		}
	})
}
