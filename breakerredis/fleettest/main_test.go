package fleettest

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
	if os.Getenv(envRedis) != "" {
		os.Exit(runChild())
	}
	goleak.VerifyTestMain(m)
}

// redisAddr is the Redis the tests use: PROBEKIT_REDIS_ADDR, or the local
// one. It is shared: each test uses a random key prefix and deletes its keys.
func redisAddr() string {
	if a := os.Getenv("PROBEKIT_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// newPrefix returns a fresh key prefix whose keys are deleted at cleanup.
// Without Redis the test skips, or fails under CI=true, where Redis runs.
func newPrefix(t *testing.T) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		msg := "redis at " + redisAddr() + " unreachable: " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true: Redis must be reachable)", msg)
		}
		t.Skip(msg)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "probekit-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}
