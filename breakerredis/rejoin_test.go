package breakerredis_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/redis/go-redis/v9"
)

// cut is a go-redis Limiter that fails every command while set: a Redis
// partition that the test switches on and off.
type cut struct{ on atomic.Bool }

var errCut = errors.New("partitioned")

func (c *cut) Allow() error {
	if c.on.Load() {
		return errCut
	}
	return nil
}

func (*cut) ReportResult(error) {}

// A replica whose local breaker tripped while it was cut from Redis must,
// once it rejoins a fleet whose shared state is closed, let calls through:
// connected, the shared state decides, and the replica's Check says closed.
func TestRejoinedReplicaFollowsTheSharedState(t *testing.T) {
	t.Parallel()
	_, prefix := newClient(t)
	var c cut
	client := redis.NewClient(&redis.Options{Addr: redisAddr(), Limiter: &c, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	f, err := breakerredis.New(client, "payments", breaker.Settings{
		FailureThreshold: 3, OpenTimeout: time.Hour, Retry: breaker.Retry{MaxAttempts: 1},
	}, breakerredis.Options{Prefix: prefix, SyncInterval: 20 * time.Millisecond, Timeout: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	ctx := context.Background()
	c.on.Store(true)
	eventually(t, "local mode", func() bool { return f.Stats().Mode == breakerredis.Local })
	for range 3 {
		_ = fail(f)
	}
	if err := succeed(f); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("local mode after 3 failures: %v, want ErrOpen", err)
	}
	c.on.Store(false)
	eventually(t, "shared mode", func() bool { return f.Stats().Mode == breakerredis.Shared })
	// The failures it saw alone trip the fleet; then another replica's
	// recovery trial closes it, as doneScript does.
	eventually(t, "fleet open", func() bool { return f.Breaker().State() == breaker.StateOpen })
	err = client.HDel(ctx, f.Keys()[0], "st", "opened", "until", "reason", "trip", "ftrials", "oks").Err()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "fleet closed", func() bool { return f.Breaker().State() == breaker.StateClosed })
	if err := succeed(f); err != nil {
		t.Errorf("call with the shared state closed = %v, want it through", err)
	}
}
