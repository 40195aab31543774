// Package checks provides ready-made health checks for what services depend
// on: SQL databases (their replication and their schema version too),
// Redis, message queues (NATS, AMQP 0-9-1 / RabbitMQ, MQTT 3.1.1 and 5),
// TCP and HTTP upstreams, DNS, disk space, the Go runtime (goroutines,
// heap, scheduler latency), worker pool backlogs, a liveness watchdog for
// worker loops and a startup gate. It imports the standard library only:
// Redis, NATS, AMQP and MQTT are spoken by hand, SQL goes through
// database/sql with whatever driver the service already uses.
//
// The happy path:
//
//	pg, err := checks.SQL(db, checks.SQLOptions{Name: "postgres"})
//	if err != nil { ... }
//	cache, err := checks.Redis("redis:6379", checks.RedisOptions{Password: pw})
//	if err != nil { ... }
//	_ = h.Register(core.Check{Name: "postgres", Check: pg, Interval: 5 * time.Second})
//	_ = h.Register(core.Check{Name: "redis", Check: cache, Optional: true})
//
//	loop, _ := checks.NewHeartbeat("consumer", 30*time.Second)
//	_ = h.Register(core.Check{Name: "consumer", Check: loop.Check, Kinds: core.Liveness})
//	go consume(ctx, loop) // calls loop.Beat() on every message
//
//	migrations := checks.NewFlag("migrations pending")
//	_ = h.Register(core.Check{Name: "migrations", Check: migrations.Check, Kinds: core.Startup})
//	migrate(db); migrations.Done()
//
// # Constructors and options
//
// Each constructor validates its arguments and options once and returns
// (core.CheckFunc, error); the error names the bad argument or field. An
// options struct's zero value means its documented defaults. The returned
// functions are safe for concurrent use.
//
// # Time limits
//
// Every check that does I/O is bounded by its context's deadline (the
// registry sets one from core.Check.Timeout) and, when the context has none,
// by core.DefaultTimeout, so that no check can hang its caller. Connections
// get the deadline too, so a server that accepts and never answers fails the
// check by its timeout; cancelling the context ends a check at once.
//
// # Failure reasons
//
// A failed check returns an error made with core.Unhealthy or core.Degraded
// whose reason names the dependency and what went wrong:
//
//	redis 127.0.0.1:6379: timeout after 800ms
//	tcp 10.0.0.9:4222: connection refused
//	nats 10.0.0.9:4222: authentication failed (Authorization Violation)
//	amqp 10.0.0.8:5672: vhost not found (NOT_ALLOWED)
//	mqtt 10.0.0.6:1883: bad username or password (CONNACK 4)
//	http billing.internal:8080: status 503 (want 200-299)
//	dns db.internal: no such host
//	postgres: connection refused
//
// Reasons never contain secrets: no passwords, DSNs, tokens or header
// values, and of a URL only the host (no user information, path or query). The underlying error, shown in probe
// responses only with core.Options.ExposeErrors, is scrubbed of what the
// check knows to be secret (URLs of HTTP errors, Redis passwords echoed in
// a reply, NATS tokens, AMQP and MQTT passwords); a driver's own error text
// is the driver's.
package checks
