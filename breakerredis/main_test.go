package breakerredis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// redisAddr is the Redis the tests use: PROBEKIT_REDIS_ADDR, or the local
// one. It is shared: tests use a random key prefix and delete their keys.
func redisAddr() string {
	if a := os.Getenv("PROBEKIT_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// newClient returns a client of the test Redis, closed at cleanup, and a
// fresh key prefix whose keys are deleted at cleanup. Without Redis the
// test skips, or fails under CI=true, where Redis runs.
func newClient(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		msg := "redis at " + redisAddr() + " unreachable: " + err.Error()
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s (CI=true: Redis must be reachable)", msg)
		}
		tb.Skip(msg)
	}
	prefix := randomPrefix()
	tb.Cleanup(func() {
		deletePrefix(c, prefix)
		_ = c.Close()
	})
	return c, prefix
}

func randomPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "probekit-test:" + hex.EncodeToString(b[:]) + ":"
}

// deletePrefix deletes every key under prefix.
func deletePrefix(c redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
}
