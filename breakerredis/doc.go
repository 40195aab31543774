// Package breakerredis shares a breaker's state among the replicas of a
// service through Redis, so that the fleet learns together that a
// dependency is down and sends it a bounded number of recovery trials.
//
//	client := redis.NewUniversalClient(&redis.UniversalOptions{
//		Addrs: []string{"redis:6379"}, ContextTimeoutEnabled: true,
//	})
//	f, err := breakerredis.New(client, "payments", breaker.Settings{Notify: h.Notify},
//		breakerredis.Options{Prefix: "orders:"})
//	if err != nil { ... }
//	defer f.Close()
//	b := f.Breaker() // a *breaker.Breaker: Do, Call, Check, Guard as ever
//	h.Register(core.Check{Name: "payments", Check: b.Check(), Optional: true})
//	err = b.Do(ctx, func(ctx context.Context) error { return pay(ctx) })
//
// Every replica that uses the same Redis, Prefix and name shares one
// breaker. Standalone, sentinel (failover) and cluster clients all work:
// the keys of one breaker share a hash tag.
//
// # Semantics
//
//   - Failures of all replicas count together: the fleet's consecutive
//     failures are kept in Redis, and a success anywhere resets them. Each
//     replica pushes its failures at once and its successes' reset within
//     Options.SyncInterval, so the order of calls on different replicas
//     within one interval is approximate.
//   - When the breaker opens, every replica sees it open within
//     Options.SyncInterval plus a round trip (50ms by default; measured in
//     docs/breakerredis.md and BenchmarkReaction).
//   - Recovery trials are limited fleet-wide: after OpenTimeout at most
//     HalfOpenRequests calls in the whole fleet claim a trial slot in Redis;
//     the others fail with breaker.ErrTooManyRequests. As many successful
//     trials close the breaker everywhere; one failure opens it everywhere.
//     A slot is a lock with an owner token and an expiry (TrialTimeout):
//     only its owner ends it (compare-and-delete in a Lua script), and a
//     replica that dies holding one blocks the others no longer than that.
//   - The time the breaker opened, its failure count and reason are
//     shared, so every replica's Check (and /readyz?verbose) says the same;
//     transitions reach each replica's Settings.Notify with "(shared)".
//     Times come from Redis's clock, so replicas' clocks need not agree.
//
// # Cost
//
// In the closed state a call makes no Redis round trip: Admit reads one
// atomic pointer and a success two atomics (a failure takes a mutex and
// wakes the sync goroutine). Each replica's one background goroutine runs
// one script every SyncInterval. gobreaker's DistributedCircuitBreaker, by
// contrast, takes a lock and reads and writes its state in Redis on every
// call (4 round trips); see BenchmarkClosedCall.
//
// # When Redis fails
//
// Redis is a dependency too. Every operation is bounded by Options.Timeout
// (50ms): it runs on a goroutine the call does not wait for longer, so even
// a client without ContextTimeoutEnabled cannot make a call wait. A call
// waits on Redis only in the half-open state, to claim or end a trial (a
// claim that fails lets that call through on the local breaker). When three
// operations in a row fail (about 150ms at the defaults; at once if Redis
// does not answer when New runs), the breaker falls back to local mode, so
// that one slow answer on a busy host does not make replicas flap: each replica's
// own breaker decides, as without Redis; Check reports it degraded
// ("shared state unavailable, local mode"), Fleet.Stats reports Mode
// "local", and the change is told once (to Notify, else to the Logger).
// The sync goroutine keeps trying and rejoins the shared state when Redis
// answers; a replica whose own breaker opened while local then follows the
// shared state, to which it pushed the failures it saw. Keys are namespaced by Prefix and expire (KeyTTL,
// TrialTimeout): nothing grows without bound.
//
// # Dependencies
//
// github.com/redis/go-redis/v9, the Redis client the users already run
// (redis.UniversalClient covers standalone, sentinel and cluster).
// v9.23.0 is the newest release on the module proxy; no version was in the
// module cache. github.com/sony/gobreaker/v2, through package breaker, is
// the local state machine; its DistributedCircuitBreaker was measured and
// not used, because it costs Redis round trips and a lock on every call and
// waits 500ms for a contended lock.
package breakerredis
