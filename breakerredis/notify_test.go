package breakerredis_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/probekit/probekit/core"
)

// Settings.Notify is user code, called by the sync goroutine when the
// shared state changes. Whatever it does (panic, runtime.Goexit as
// t.FailNow does), the breaker keeps following the fleet.
func TestHostileNotifyDoesNotStopTheSync(t *testing.T) {
	t.Parallel()
	for name, notify := range map[string]func(core.Transition){
		"panic":  func(core.Transition) { panic("notify") },
		"goexit": func(core.Transition) { runtime.Goexit() },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client, prefix := newClient(t)
			f, err := breakerredis.New(client, "payments", breaker.Settings{
				FailureThreshold: 1, OpenTimeout: time.Hour, Retry: breaker.Retry{MaxAttempts: 1}, Notify: notify,
			}, breakerredis.Options{Prefix: prefix, SyncInterval: 20 * time.Millisecond, Timeout: 250 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = f.Close() })
			_ = fail(f)
			eventually(t, "open", func() bool { return f.Breaker().State() == breaker.StateOpen })
			// Another replica's trial closes the fleet's breaker.
			err = client.HDel(context.Background(), f.Keys()[0], "st", "opened", "until", "reason", "trip", "ftrials", "oks").Err()
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "closed", func() bool { return f.Breaker().State() == breaker.StateClosed })
		})
	}
}
