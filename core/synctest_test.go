package core

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// A registry made inside a testing/synctest bubble works there, even when
// registries outside the bubble have probed before: nothing with a channel
// or a timer is shared between registries. A waiter (channel + timer) from
// a process-wide pool, made outside the bubble, crashed the test binary
// ("select on synctest channel from outside bubble") as soon as a probe in
// the bubble waited on it.
func TestRegistryInsideSynctestBubble(t *testing.T) {
	outside := newTestRegistry(t, Options{})
	if err := outside.Register(Check{Name: "db", Check: ok}); err != nil {
		t.Fatal(err)
	}
	for range 64 { // fill the pools of every P, whatever the scheduler does
		if _, err := outside.Evaluate(context.Background(), Readiness); err != nil {
			t.Fatal(err)
		}
	}
	synctest.Test(t, func(t *testing.T) {
		r, err := New(Options{Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = r.Close() }()
		// A check that takes (fake) time, so that the probe waits for it.
		slow := func(ctx context.Context) error {
			time.Sleep(time.Millisecond)
			return nil
		}
		if err := r.Register(Check{Name: "db", Check: slow}); err != nil {
			t.Fatal(err)
		}
		for range 64 {
			rep, err := r.Evaluate(context.Background(), Readiness)
			if err != nil || rep.Status != StatusOK {
				t.Fatalf("Evaluate = %v, %v", rep.Status, err)
			}
			if res := r.lookup("db").evaluate(context.Background()); res.Status != StatusOK {
				t.Fatalf("per-check evaluate = %v", res.Status)
			}
		}
	})
}
