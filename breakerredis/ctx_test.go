package breakerredis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/redis/go-redis/v9"
)

// stall is a go-redis Limiter that holds every command while set, until
// released: a Redis that does not answer.
type stall struct {
	on      atomic.Bool
	entered chan struct{}
	once    sync.Once
	release chan struct{}
}

func (s *stall) Allow() error {
	if s.on.Load() {
		s.once.Do(func() { close(s.entered) })
		<-s.release
	}
	return nil
}

func (*stall) ReportResult(error) {}

// A call waits on Redis to claim a recovery trial at most Options.Timeout,
// and never past its own context (breaker.SharedState: "ctx bounds it
// too"): a caller whose deadline passed gets its answer at once.
func TestTrialClaimStopsWithTheCallersContext(t *testing.T) {
	t.Parallel()
	_, prefix := newClient(t)
	s := &stall{entered: make(chan struct{}), release: make(chan struct{})}
	client := redis.NewClient(&redis.Options{Addr: redisAddr(), Limiter: s, MaxRetries: -1})
	f, err := breakerredis.New(client, "payments", breaker.Settings{
		FailureThreshold: 1, OpenTimeout: 50 * time.Millisecond, Retry: breaker.Retry{MaxAttempts: 1},
	}, breakerredis.Options{Prefix: prefix, SyncInterval: 20 * time.Millisecond, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(s.release)
		_ = f.Close()
		_ = client.Close()
	})
	_ = fail(f)
	eventually(t, "half-open", func() bool { return f.Breaker().State() == breaker.StateHalfOpen })
	s.on.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		_ = f.Breaker().Do(ctx, func(context.Context) error { return nil })
	}()
	<-s.entered // some Redis operation (the claim, or a sync) is held
	cancel()
	select {
	case <-returned:
	case <-time.After(mustHappen):
		t.Fatal("a call whose context was canceled still waits on Redis")
	}
}
