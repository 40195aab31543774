package breakerredis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// The cost of one successful call in the closed state: the local breaker
// (baseline), a Fleet breaker, and gobreaker's DistributedCircuitBreaker,
// which locks, reads and writes its state in Redis on every call. The
// redis-ops/op metric counts Redis round trips per call; for the Fleet it
// includes its background sync, which does not depend on the call rate.
func BenchmarkClosedCall(b *testing.B) {
	ok := func(context.Context) error { return nil }
	ctx := context.Background()

	b.Run("local", func(b *testing.B) {
		br, err := breaker.New("payments", breaker.Settings{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := br.Do(ctx, ok); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("fleet", func(b *testing.B) {
		client, prefix := newClient(b)
		f, err := breakerredis.New(client, "payments", breaker.Settings{}, breakerredis.Options{Prefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		br := f.Breaker()
		before := f.Stats().Operations
		b.ReportAllocs()
		for b.Loop() {
			if err := br.Do(ctx, ok); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(f.Stats().Operations-before)/float64(b.N), "redis-ops/op")
	})

	b.Run("gobreaker-distributed", func(b *testing.B) {
		client, prefix := newClient(b)
		store := &gobreakerStore{client: client, prefix: prefix}
		cb, err := gobreaker.NewDistributedCircuitBreaker[struct{}](store, gobreaker.Settings{Name: "payments"})
		if err != nil {
			b.Fatal(err)
		}
		before := store.ops.Load()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cb.Execute(func() (struct{}, error) { return struct{}{}, nil }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(store.ops.Load()-before)/float64(b.N), "redis-ops/op")
	})
}

// The parallel form: many goroutines, as a busy service has.
func BenchmarkClosedCallParallel(b *testing.B) {
	ok := func(context.Context) error { return nil }
	ctx := context.Background()
	b.Run("local", func(b *testing.B) {
		br, err := breaker.New("payments", breaker.Settings{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = br.Do(ctx, ok)
			}
		})
	})
	b.Run("fleet", func(b *testing.B) {
		client, prefix := newClient(b)
		f, err := breakerredis.New(client, "payments", breaker.Settings{}, breakerredis.Options{Prefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		br := f.Breaker()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = br.Do(ctx, ok)
			}
		})
	})
}

// How long after one replica trips the breaker another sees it open: the
// reaction time the fleet promises (target ≤ 200ms), with the default
// SyncInterval. ms/op is the mean over trips.
func BenchmarkReaction(b *testing.B) {
	client, prefix := newClient(b)
	s := breaker.Settings{FailureThreshold: 1, OpenTimeout: time.Minute, Retry: breaker.Retry{MaxAttempts: 1}}
	o := breakerredis.Options{Prefix: prefix}
	one, err := breakerredis.New(client, "payments", s, o)
	if err != nil {
		b.Fatal(err)
	}
	defer one.Close()
	other, err := breakerredis.New(client, "payments", s, o)
	if err != nil {
		b.Fatal(err)
	}
	defer other.Close()
	var total, worst time.Duration
	for b.Loop() {
		b.StopTimer()
		client.Del(context.Background(), one.Keys()...)
		until(b, "both closed", func() bool {
			return one.Breaker().State() == breaker.StateClosed && other.Breaker().State() == breaker.StateClosed
		})
		time.Sleep(time.Duration(randN(50)) * time.Millisecond) // trip at any phase of the sync
		b.StartTimer()
		start := time.Now()
		_ = one.Breaker().Do(context.Background(), func(context.Context) error { return errors.New("down") })
		until(b, "the other open", func() bool { return other.Breaker().State() == breaker.StateOpen })
		d := time.Since(start)
		total += d
		worst = max(worst, d)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/op")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	b.ReportMetric(0, "ns/op")
}

// until polls cond, failing the benchmark (rather than hanging) when a
// Redis timeout on a loaded machine sent a replica to local mode, where its
// own breaker keeps a minute-long open state.
func until(b *testing.B, what string, cond func() bool) {
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("%s: not within 5s (local mode? %v)", what, time.Now())
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func randN(n int) int {
	var b [1]byte
	_, _ = rand.Read(b[:])
	return int(b[0]) % n
}

// gobreakerStore is a gobreaker.SharedDataStore on Redis, written the way
// its documentation suggests: SET NX with an expiry for the lock, a Lua
// compare-and-delete to unlock, GET and SET for the state.
type gobreakerStore struct {
	client redis.UniversalClient
	prefix string
	token  string
	ops    atomic.Uint64
}

var unlockScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)

func (s *gobreakerStore) Lock(name string) error {
	s.ops.Add(1)
	var b [8]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	ok, err := s.client.SetNX(context.Background(), s.prefix+name, token, 5*time.Second).Result()
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("locked")
	}
	s.token = token
	return nil
}

func (s *gobreakerStore) Unlock(name string) error {
	s.ops.Add(1)
	return unlockScript.Run(context.Background(), s.client, []string{s.prefix + name}, s.token).Err()
}

func (s *gobreakerStore) GetData(name string) ([]byte, error) {
	s.ops.Add(1)
	b, err := s.client.Get(context.Background(), s.prefix+name).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

func (s *gobreakerStore) SetData(name string, data []byte) error {
	s.ops.Add(1)
	return s.client.Set(context.Background(), s.prefix+name, data, time.Hour).Err()
}
