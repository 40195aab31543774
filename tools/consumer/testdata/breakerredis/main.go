// A consumer of breakerredis alone: a breaker shared on Redis (the local
// one, or PROBEKIT_REDIS_ADDR), its state as a readiness check.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/probekit/probekit/core"
	"github.com/redis/go-redis/v9"
)

func main() {
	addr := os.Getenv("PROBEKIT_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	defer client.Close()
	h, err := core.New(core.Options{Service: "consumer"})
	if err != nil {
		fail(err)
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	f, err := breakerredis.New(client, "consumer", breaker.Settings{Notify: h.Notify},
		breakerredis.Options{Prefix: "probekit-consumer:" + hex.EncodeToString(id[:]) + ":"})
	if err != nil {
		fail(err)
	}
	defer func() {
		f.Close()
		client.Del(context.Background(), f.Keys()...)
	}()
	b := f.Breaker()
	n, err := breaker.Call(context.Background(), b, func(context.Context) (int, error) { return 1, nil })
	if err != nil || n != 1 {
		fail(fmt.Errorf("breaker.Call = %d, %v", n, err))
	}
	if err := h.Register(core.Check{Name: "consumer", Check: b.Check()}); err != nil {
		fail(err)
	}
	if err := h.Start(context.Background()); err != nil {
		fail(err)
	}
	defer h.Close()
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz?verbose", nil))
	fmt.Printf("%d\n%s", rec.Code, rec.Body)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
