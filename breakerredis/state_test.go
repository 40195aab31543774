package breakerredis

import (
	"errors"
	"testing"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/redis/go-redis/v9"
)

// newTestState is a state that is never started: no goroutine, no Redis.
func newTestState(t *testing.T) *state {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = client.Close() })
	o, err := Options{Prefix: "p:"}.normalize(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	st := newState(client, "dep", breaker.Settings{FailureThreshold: 5, OpenTimeout: time.Second, HalfOpenRequests: 1}, o)
	st.up.Store(true)
	return st
}

func TestOneSlowAnswerDoesNotMakeTheReplicaLocal(t *testing.T) {
	t.Parallel()
	st := newTestState(t)
	errSlow := errors.New("slow")
	st.down(errSlow)
	if !st.Connected() {
		t.Fatal("local after one failed operation; one slow answer must not flap the fleet")
	}
	for range downAfter - 1 {
		st.down(errSlow)
	}
	if st.Connected() {
		t.Fatalf("still shared after %d failed operations in a row", downAfter)
	}
}

func TestRestore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		since          func(*state) // what happened while the sync was out
		fails          int
		reset          bool
		wantFails      int
		wantReset      bool
		wantPendingAny bool
	}{
		{"failures come back", func(*state) {}, 3, false, 3, false, true},
		{"with newer failures", func(st *state) { st.pendFails = 2 }, 3, false, 5, false, true},
		{"a reset comes back", func(*state) {}, 1, true, 1, true, true},
		{"a newer success makes them stale", func(st *state) { st.pendReset = true }, 3, false, 0, true, false},
		{"nothing to restore", func(*state) {}, 0, false, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newTestState(t)
			tt.since(st)
			st.restore(tt.fails, tt.reset, "refused")
			if st.pendFails != tt.wantFails || st.pendReset != tt.wantReset {
				t.Errorf("pending = %d failures, reset %v; want %d, %v", st.pendFails, st.pendReset, tt.wantFails, tt.wantReset)
			}
			if tt.wantPendingAny && !st.pendingAny.Load() {
				t.Error("pendingAny not set: the next sync would not push them")
			}
		})
	}
}

// A reply that is not what the scripts return (a Redis proxy, a future
// version) is an error, never a panic on the path of a call.
func FuzzApply(f *testing.F) {
	f.Add("ok", "open", "3", "1500", "-20", "refused", "5", "1", 8)
	f.Add("trial", "", "0", "0", "0", "", "0", "0", 8)
	f.Add("x", "open", "zz", "", "99999999999999999999", "", "-1", "", 3)
	f.Fuzz(func(t *testing.T, a, b, c, d, e, g, h, i string, n int) {
		st := newTestState(t)
		all := []any{a, b, c, d, e, g, h, i, int64(7), nil}
		n = max(0, min(n, len(all)))
		reply := all[:n]
		if err := st.apply(reply); err != nil {
			return
		}
		v := st.View()
		if v.State != breaker.StateClosed && v.OpenedAt.IsZero() {
			t.Errorf("open view without an open time: %+v", v)
		}
	})
}
