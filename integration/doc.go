// Package integration holds probekit's integration tests: the checks of
// core/checks against the real servers this machine runs, and against the
// faults that package faultproxy injects between a check and its server.
// It has no API; it is a module of its own so that the database drivers the
// tests need (github.com/jackc/pgx/v5/stdlib, github.com/go-sql-driver/mysql)
// stay out of core's go.mod.
//
// Run it the way CI does, from the repository root:
//
//	make test
//
// or on its own, `go test -race ./integration/...`. The servers are read
// from PROBEKIT_POSTGRES_DSN, PROBEKIT_MYSQL_DSN, PROBEKIT_REDIS_ADDR and
// PROBEKIT_NATS_ADDR; unset, they default to the standard ports on
// 127.0.0.1 (postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable,
// root@tcp(127.0.0.1:3306)/test, 127.0.0.1:6379, 127.0.0.1:4222), the same
// values the Makefile exports.
//
// A test whose server is unreachable is skipped with a message, unless
// CI=true, where it fails.
//
// What is covered:
//
//   - happy paths: PostgreSQL and MariaDB (ping, query, pool saturation
//     reported degraded), Redis (PING, AUTH as an ACL user), NATS (TCP, and
//     the NATS protocol's INFO / PING / PONG);
//   - faults, for Redis, NATS, PostgreSQL and MariaDB, each through its own
//     proxy: connection refused; a peer that accepts and never answers (the
//     check fails by its timeout); a connection cut mid-reply; latency under
//     and over the timeout; recovery after the fault heals, through a
//     core.Registry with FailureThreshold and SuccessThreshold of 2;
//   - Redis with a password set by CONFIG SET requirepass on a throwaway
//     connection (restored at cleanup): failure reasons, errors and probe
//     responses never contain the password, even with ExposeErrors;
//   - DNS through the system resolver (a name under .invalid fails with
//     "no such host"), and HTTP upstreams answering 500, redirecting to
//     another host or streaming a huge body, read through a registry's
//     /readyz?verbose over real HTTP.
//
// Every check in the fault tests has a 300ms timeout: the package runs in a
// few seconds.
package integration
