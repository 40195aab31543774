package breakerredis_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/probekit/probekit/core"
	"github.com/redis/go-redis/v9"
)

// A breaker shared by every replica of the service through Redis.
func ExampleNew() {
	client := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: []string{"127.0.0.1:6379"}, ContextTimeoutEnabled: true,
	})
	defer client.Close()
	f, err := breakerredis.New(client, "payments", breaker.Settings{OpenTimeout: 10 * time.Second},
		breakerredis.Options{Prefix: "orders:"})
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	err = f.Breaker().Do(context.Background(), func(ctx context.Context) error {
		return nil // call the payments API
	})
	fmt.Println(err)
}

// Without Redis, the breaker runs on its own and says so in its check.
func ExampleFleet_Stats() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}) // nothing listens
	defer client.Close()
	f, err := breakerredis.New(client, "payments", breaker.Settings{
		Notify: func(t core.Transition) { fmt.Printf("%s: %s → %s\n", t.Component, t.From, t.To) },
	}, breakerredis.Options{Prefix: "orders:"})
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	b := f.Breaker()
	fmt.Println("call:", b.Do(context.Background(), func(context.Context) error { return nil }))
	fmt.Println("mode:", f.Stats().Mode)
	fmt.Println("check:", core.Reason(b.Check()(context.Background())))
	// Output:
	// breakerredis: shared → local
	// call: <nil>
	// mode: local
	// check: shared state unavailable, local mode
}
