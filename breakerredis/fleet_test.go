package breakerredis_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/probekit/probekit/core"
	"github.com/redis/go-redis/v9"
)

// mustHappen is how long a test waits for something that must happen: far
// above the documented bounds, so that a loaded machine never fails it.
const mustHappen = 5 * time.Second

var errDown = core.Unhealthy("connection refused", nil)

// replica returns a Fleet breaker on client, closed at cleanup.
func replica(t *testing.T, client redis.UniversalClient, prefix string, s breaker.Settings) *breakerredis.Fleet {
	t.Helper()
	s.Retry.MaxAttempts = 1
	// Timeout above the 50ms default: on a loaded machine under the race
	// detector a trial claim may otherwise time out, and the call then
	// goes through locally instead of as the fleet's trial.
	f, err := breakerredis.New(client, "payments", s, breakerredis.Options{
		Prefix: prefix, SyncInterval: 20 * time.Millisecond, Timeout: 250 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// fail makes one failing call through f's breaker; its error is errDown,
// or the rejection once the breaker is open.
func fail(f *breakerredis.Fleet) error {
	return f.Breaker().Do(context.Background(), func(context.Context) error { return errDown })
}

func succeed(f *breakerredis.Fleet) error {
	return f.Breaker().Do(context.Background(), func(context.Context) error { return nil })
}

// eventually waits until cond holds, at most mustHappen.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(mustHappen)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %v", what, mustHappen)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFailuresOfAllReplicasCountTogether(t *testing.T) {
	t.Parallel()
	client, prefix := newClient(t)
	s := breaker.Settings{FailureThreshold: 4, OpenTimeout: time.Minute}
	a, b := replica(t, client, prefix, s), replica(t, client, prefix, s)
	for range 2 {
		if err := fail(a); !errors.Is(err, errDown) {
			t.Fatalf("a: %v", err)
		}
		if err := fail(b); !errors.Is(err, errDown) {
			t.Fatalf("b: %v", err)
		}
	}
	// Neither replica saw 4 failures; the fleet did.
	for name, f := range map[string]*breakerredis.Fleet{"a": a, "b": b} {
		eventually(t, name+" open", func() bool { return f.Breaker().State() == breaker.StateOpen })
		if err := succeed(f); !errors.Is(err, breaker.ErrOpen) {
			t.Errorf("%s: call while open = %v, want ErrOpen", name, err)
		}
	}
	ra, rb := core.Reason(a.Breaker().Check()(context.Background())), core.Reason(b.Breaker().Check()(context.Background()))
	if ra != rb || !strings.Contains(ra, "after 4 consecutive failures: connection refused") {
		t.Errorf("replicas tell different stories:\n a: %s\n b: %s", ra, rb)
	}
}

func TestASuccessResetsTheFleetsCount(t *testing.T) {
	t.Parallel()
	client, prefix := newClient(t)
	s := breaker.Settings{FailureThreshold: 3, OpenTimeout: time.Minute}
	a, b := replica(t, client, prefix, s), replica(t, client, prefix, s)
	_ = fail(a)
	_ = fail(a)
	eventually(t, "b sees 2 failures", func() bool { return fleetFails(t, client, a) == 2 })
	// b has heard of a's failures, so its success must reset the count.
	eventually(t, "b's success resets the count", func() bool { return succeedResets(t, client, b) })
	_ = fail(a)
	eventually(t, "a's third failure counted", func() bool { return fleetFails(t, client, a) == 1 })
	if st := client.HGet(context.Background(), a.Keys()[0], "st").Val(); st != "" {
		t.Errorf("shared state %q after fail, fail, success elsewhere, fail; want closed", st)
	}
}

// succeedResets makes a successful call on f and reports whether the
// fleet's count is then reset within mustHappen.
func succeedResets(t *testing.T, client redis.UniversalClient, f *breakerredis.Fleet) bool {
	if err := succeed(f); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(deadline) {
		if fleetFails(t, client, f) == 0 {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

func fleetFails(t *testing.T, client redis.UniversalClient, f *breakerredis.Fleet) int {
	n, err := client.HGet(context.Background(), f.Keys()[0], "fails").Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatal(err)
	}
	return n
}

func TestTrialsAreLimitedFleetWide(t *testing.T) {
	t.Parallel()
	client, prefix := newClient(t)
	s := breaker.Settings{FailureThreshold: 1, OpenTimeout: 200 * time.Millisecond}
	a, b := replica(t, client, prefix, s), replica(t, client, prefix, s)
	_ = fail(a)
	eventually(t, "b half-open", func() bool { return b.Breaker().State() == breaker.StateHalfOpen })

	inTrial, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		err := b.Breaker().Do(context.Background(), func(context.Context) error {
			close(inTrial)
			<-release
			return nil
		})
		if err != nil {
			t.Errorf("trial: %v", err)
		}
	})
	<-inTrial
	if err := succeed(a); !errors.Is(err, breaker.ErrTooManyRequests) {
		t.Errorf("a's call during b's trial = %v, want ErrTooManyRequests", err)
	}
	close(release)
	wg.Wait()
	eventually(t, "a closed", func() bool { return a.Breaker().State() == breaker.StateClosed })
	if err := succeed(a); err != nil {
		t.Errorf("a after recovery: %v", err)
	}
}

func TestFailedTrialReopensEveryReplica(t *testing.T) {
	t.Parallel()
	client, prefix := newClient(t)
	s := breaker.Settings{FailureThreshold: 1, OpenTimeout: 200 * time.Millisecond}
	a, b := replica(t, client, prefix, s), replica(t, client, prefix, s)
	_ = fail(a)
	eventually(t, "a half-open", func() bool { return a.Breaker().State() == breaker.StateHalfOpen })
	eventually(t, "b open again", func() bool {
		// Repeated in case a trial claim timed out and the call went
		// through locally; once the trial failed, calls get ErrOpen.
		_ = fail(a)
		return strings.Contains(core.Reason(b.Breaker().Check()(context.Background())), "failed recovery trial")
	})
}

func TestUnreachableRedisMeansLocalMode(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: connections are refused.
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer client.Close()
	var mu sync.Mutex
	var seen []core.Transition
	f, err := breakerredis.New(client, "payments", breaker.Settings{
		FailureThreshold: 2, Retry: breaker.Retry{MaxAttempts: 1},
		Notify: func(t core.Transition) { mu.Lock(); seen = append(seen, t); mu.Unlock() },
	}, breakerredis.Options{Prefix: "x:"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := succeed(f); err != nil {
		t.Errorf("call with Redis down = %v", err)
	}
	if got := f.Stats().Mode; got != breakerredis.Local {
		t.Errorf("mode = %v, want local", got)
	}
	err = f.Breaker().Check()(context.Background())
	if ce := (*core.CheckError)(nil); !errors.As(err, &ce) || !ce.Degraded || ce.Reason != breaker.LocalModeMessage {
		t.Errorf("Check = %v, want degraded %q", err, breaker.LocalModeMessage)
	}
	// The local breaker still works.
	_ = fail(f)
	_ = fail(f)
	if err := succeed(f); !errors.Is(err, breaker.ErrOpen) {
		t.Errorf("after 2 failures in local mode: %v, want ErrOpen", err)
	}
	time.Sleep(200 * time.Millisecond) // several syncs fail: still told once
	mu.Lock()
	defer mu.Unlock()
	modes := 0
	for _, tr := range seen {
		if tr.Component == "breakerredis" {
			modes++
			if tr.To != "local" || !strings.HasPrefix(tr.Reason, breaker.LocalModeMessage) {
				t.Errorf("mode transition %+v", tr)
			}
		}
	}
	if modes != 1 {
		t.Errorf("told %d mode changes, want 1: %+v", modes, seen)
	}
}

func TestKeysExpire(t *testing.T) {
	t.Parallel()
	client, prefix := newClient(t)
	f := replica(t, client, prefix, breaker.Settings{FailureThreshold: 1, OpenTimeout: time.Second, HalfOpenRequests: 1})
	_ = fail(f)
	eventually(t, "open", func() bool { return f.Breaker().State() == breaker.StateOpen })
	for _, k := range f.Keys() {
		if !strings.HasPrefix(k, prefix) {
			t.Errorf("key %q is outside the prefix %q", k, prefix)
		}
	}
	ttl, err := client.PTTL(context.Background(), f.Keys()[0]).Result()
	if err != nil || ttl <= 0 || ttl > breakerredis.DefaultKeyTTL {
		t.Errorf("state key TTL = %v, %v; want in (0, %v]", ttl, err, breakerredis.DefaultKeyTTL)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	tests := []struct {
		name   string
		client redis.UniversalClient
		s      breaker.Settings
		o      breakerredis.Options
		want   string
	}{
		{"nil client", nil, breaker.Settings{}, breakerredis.Options{Prefix: "p:"}, "client is nil"},
		{"no prefix", client, breaker.Settings{}, breakerredis.Options{}, "Options.Prefix is empty"},
		{"negative timeout", client, breaker.Settings{}, breakerredis.Options{Prefix: "p:", Timeout: -1}, "Options.Timeout is negative"},
		{"negative sync", client, breaker.Settings{}, breakerredis.Options{Prefix: "p:", SyncInterval: -1}, "Options.SyncInterval is negative"},
		{"short TTL", client, breaker.Settings{OpenTimeout: time.Minute}, breakerredis.Options{Prefix: "p:", KeyTTL: time.Minute}, "Options.KeyTTL (1m0s) does not exceed the OpenTimeout"},
		{"bad settings", client, breaker.Settings{FailureThreshold: -1}, breakerredis.Options{Prefix: "p:"}, "Settings.FailureThreshold is negative"},
		{"shared already", client, breaker.Settings{Shared: fakeShared{}}, breakerredis.Options{Prefix: "p:"}, "Settings.Shared is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := breakerredis.New(tt.client, "payments", tt.s, tt.o)
			if err == nil {
				f.Close()
				t.Fatalf("New accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

type fakeShared struct{ breaker.SharedState }
