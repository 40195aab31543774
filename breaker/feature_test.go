package breaker

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/probekit/probekit/core"
)

// A core.Feature follows a breaker through its state check: off while the
// breaker is open; on while half-open unless OffWhenDegraded; on again
// once it closes.
func TestFeatureFollowsTheBreaker(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newRegistry(t, nil)
		set := Settings{FailureThreshold: 2, OpenTimeout: 10 * time.Second, Retry: noRetry, Notify: h.Notify}
		pay := mustNew(t, "payments", set)
		if err := h.Register(core.Check{Name: "payments-breaker", Check: pay.Check(), Optional: true}); err != nil {
			t.Fatal(err)
		}
		lenient, err := h.Feature(core.FeatureOptions{Name: "one-click", Checks: []string{"payments-breaker"}})
		if err != nil {
			t.Fatal(err)
		}
		strict, err := h.Feature(core.FeatureOptions{Name: "instant-refunds", Checks: []string{"payments-breaker"}, OffWhenDegraded: true})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		steps := []struct {
			name                string
			act                 func()
			lenientOn, strictOn bool
		}{
			{"closed", func() {}, true, true},
			{"open", func() {
				for range 2 {
					_ = pay.Do(ctx, func(context.Context) error { return errRefused })
				}
			}, false, false},
			{"half-open", func() { time.Sleep(11 * time.Second) }, true, false},
			{"closed again", func() { _ = pay.Do(ctx, func(context.Context) error { return nil }) }, true, true},
		}
		for _, s := range steps {
			s.act()
			evaluate(t, h)
			if lenient.Enabled() != s.lenientOn || strict.Enabled() != s.strictOn {
				t.Errorf("%s (breaker %v): one-click %v (%s), instant-refunds %v (%s); want %v, %v", s.name, pay.State(),
					lenient.Enabled(), lenient.State().Why, strict.Enabled(), strict.State().Why, s.lenientOn, s.strictOn)
			}
		}
	})
}
