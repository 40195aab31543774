// Package examples holds one runnable service per framework, all alike:
// the probes /livez, /readyz and /startupz, GET /orders/{id} from an
// embedded SQLite database, and GET /slow?ms=N (N <= 30000) that makes a
// graceful drain visible.
//
//	go run ./examples/chi                      # or gin, echo, echo5, fiber, fiber3, nethttp, grpc
//	PROPAGATION_DELAY=2s go run ./examples/nethttp -port 9090
//
// The database is created on a temporary file; its migrations take about 2s
// (MIGRATION_DELAY), the startup phase during which /startupz answers 503.
// An optional Redis at REDIS_ADDR (default 127.0.0.1:6379) shows "degraded"
// when none runs, and the service stays ready. On SIGTERM each service fails
// readiness at once, keeps serving for PROPAGATION_DELAY (default 5s) (with
// QUIET_PERIOD and PROPAGATION_DELAY_MAX set, the adaptive delay: then on
// until no request has arrived for QUIET_PERIOD, at most until
// PROPAGATION_DELAY_MAX), closes its listener, waits up to DRAIN_TIMEOUT
// (default 20s) for in-flight requests, closes the database and exits 0.
//
// examples/fleet is of another kind: one binary run as three replicas that
// share a circuit breaker through Redis (module breakerredis), with a fake
// payments API to take down; its package doc has the commands, and its test
// runs the whole story as processes against the real Redis.
//
// This package itself only holds the tests that build and run every example
// as a separate process (end to end, SIGTERM included), and that strictly
// decode the Kubernetes manifests in deploy/kubernetes and hold them to the
// examples' own timing.
package examples
