package breaker

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// TestConcurrentUse hammers one breaker from many goroutines, on the real
// clock, with failures in bursts so that it trips and recovers many times,
// while others read its state and health. Run under -race it checks the
// locking; it also checks that no transition is lost or reordered on its
// way to Notify. (The half-open limit is checked exactly, on a fake clock,
// by TestHalfOpenLimitsTrialCalls.)
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	const workers, calls = 8, 240
	var mu sync.Mutex
	var got []core.Transition
	b := mustNew(t, "db", Settings{
		FailureThreshold: 3,
		OpenTimeout:      200 * time.Microsecond,
		HalfOpenRequests: 2,
		Retry:            Retry{MaxAttempts: 2, InitialInterval: 50 * time.Microsecond},
		Notify: func(tr core.Transition) {
			mu.Lock()
			got = append(got, tr)
			mu.Unlock()
		},
	})

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range calls {
				// Every worker fails in the same phases, so the first
				// phase trips the breaker for sure; the pause makes each
				// phase outlast OpenTimeout, so it recovers many times.
				fail := (i/40)%2 == 0
				_ = b.Do(context.Background(), func(context.Context) error {
					if fail {
						return errRefused
					}
					return nil
				})
				time.Sleep(20 * time.Microsecond)
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				b.State()
				if err := b.Check()(context.Background()); err != nil {
					var ce *core.CheckError
					if !errors.As(err, &ce) || ce.Reason == "" {
						t.Errorf("Check = %v, want a CheckError with a reason", err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	final := b.State()

	mu.Lock()
	defer mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("only %d transitions: the test did not exercise the breaker", len(got))
	}
	allowed := map[[2]string]bool{
		{"closed", "open"}: true, {"open", "half-open"}: true,
		{"half-open", "open"}: true, {"half-open", "closed"}: true,
	}
	prev := "closed"
	for i, tr := range got {
		if tr.From != prev || !allowed[[2]string{tr.From, tr.To}] {
			t.Fatalf("transition %d is %s>%s after %s: lost or reordered", i, tr.From, tr.To, prev)
		}
		prev = tr.To
	}
	t.Logf("%d transitions", len(got))
	if prev != final.String() {
		t.Errorf("last transition to %s, but the breaker is %v", prev, final)
	}
}
