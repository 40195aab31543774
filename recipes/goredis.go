package recipes

import (
	"context"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/redis/go-redis/v9"
)

// GoRedis registers the readiness check of a go-redis v9 client
// (github.com/redis/go-redis/v9): PING answered by PONG on a pooled
// connection. rdb is any [redis.UniversalClient] (a *redis.Client, a
// *redis.ClusterClient, whose Ping asks one node, a *redis.Ring or a
// failover client); [GoRedisCluster] asks every master of a cluster.
//
// The check is Optional, as a cache is: without it the service is slower,
// not down, so the report is degraded and the pod stays in rotation. Make it
// critical (drop Optional) when Redis holds data the service cannot serve
// without (sessions, a queue).
//
// go-redis applies its own ReadTimeout and WriteTimeout (3 s by default) to
// the socket and, unless redis.Options.ContextTimeoutEnabled is set, not the
// context's deadline: a silent server keeps the call running past Timeout,
// and the registry abandons it. Set ContextTimeoutEnabled, or timeouts below
// Timeout, on the client. A refused connection reads "timeout", not
// "connection refused": go-redis retries the dial (Options.DialerRetries)
// and then the command (MaxRetries) until the deadline. It returns
// Register's error.
func GoRedis(h *core.Registry, rdb redis.UniversalClient) error {
	if err := h.Register(core.Check{
		Name:     "redis",
		Check:    func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
		Optional: true, // a cache: down means degraded, the pod stays ready
		Timeout:  time.Second,
		Interval: 5 * time.Second,
	}); err != nil {
		return err
	}
	return nil
}

// GoRedisCluster registers the readiness check of a Redis Cluster client:
// every master answers PING, so that every hash slot has a node that serves
// it (a ClusterClient's own Ping reaches one node only). Replicas are not
// asked: with the default routing, reads and writes go to the masters. The
// masters are asked concurrently and the first failure is the result.
//
// Optional for the reasons of [GoRedis], whose advice on timeouts holds
// here too. It returns Register's error.
func GoRedisCluster(h *core.Registry, cluster *redis.ClusterClient) error {
	if err := h.Register(core.Check{
		Name: "redis-cluster",
		Check: func(ctx context.Context) error {
			return cluster.ForEachMaster(ctx, func(ctx context.Context, master *redis.Client) error {
				return master.Ping(ctx).Err()
			})
		},
		Optional: true,
		Timeout:  time.Second,
		Interval: 5 * time.Second,
	}); err != nil {
		return err
	}
	return nil
}
