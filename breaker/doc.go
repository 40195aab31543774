// Package breaker protects a service's calls to its databases, caches and
// upstream APIs with a circuit breaker and retries, and tells the health
// registry what those calls found out.
//
// The happy path:
//
//	h, _ := core.New(core.Options{Service: "orders"})
//	pg, err := breaker.New("postgres", breaker.Settings{Notify: h.Notify})
//	if err != nil { ... }
//
//	// Every query goes through the breaker, with retry.
//	n, err := breaker.Call(ctx, pg, func(ctx context.Context) (n int, err error) {
//		err = db.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n)
//		return n, err
//	})
//
//	// Readiness reports what the queries found, without a query of its own.
//	_ = h.Register(core.Check{Name: "postgres", Check: pg.Check()})
//
// # Breaker
//
// A Breaker is closed (calls go through), open (calls fail at once with
// ErrOpen, without touching the dependency) or half-open (a few trial calls
// decide whether to close or open again). It trips after
// Settings.FailureThreshold consecutive failures, stays open for
// OpenTimeout, then lets HalfOpenRequests trial calls through. A call whose
// context was canceled counts as neither success nor failure: the caller
// went away, which says nothing about the dependency. Each state change is
// passed to Settings.Notify; with a core.Registry's Notify it is logged as
// one slog line (component "breaker") and reaches the registry's observers.
//
// # Retry
//
// Do and Call retry failed calls with exponential backoff and full jitter:
// the wait before retry k is uniform in [0, min(MaxInterval,
// InitialInterval·2^(k-1))], which spreads out the retries of many clients
// that failed together. Each retry is a call through the breaker, so a
// dependency that is down trips it and the retries stop: an open breaker
// is never retried into, and neither are errors marked with Permanent,
// errors Retry.Retryable rejects, or anything once the context is done.
// A wait that would outlast the context's deadline is not begun.
//
// # Health
//
// Check turns a breaker into a core check: closed is ok, half-open is
// degraded, open is unavailable (register it with Optional: true for a
// dependency the service can do without, and open degrades the report
// instead). The message says since when and why, in words that are safe to
// show: "open since 2025-06-01T12:00:03Z after 5 consecutive failures:
// connection refused". Guard wraps any core check in a breaker of its own,
// so that probes do not hammer a dependency that is down: while open, the
// check answers at once from the breaker. Probes never retry: a retry
// cannot fit in the kubelet's one-second probe timeout.
//
// # Dependencies
//
// github.com/sony/gobreaker/v2 is the circuit breaker: small, widely used,
// one readable file, with the hooks this package needs (IsExcluded, so that
// cancellations are not failures; OnStateChange; ReadyToTrip) and a generic
// CircuitBreaker. Every call of a Breaker runs through its Execute.
//
// The retry loop is this package's own (retry.go, under 100 lines), not
// github.com/cenkalti/backoff/v5's Retry, for four reasons:
//
//   - Cost. backoff.Retry allocates its options, policy and timer on every
//     call, even when the first attempt succeeds: 4 allocations, 168 B and
//     1.5 to 2 times the time of Do in BenchmarkDo/backoff.Retry+gobreaker.
//     Do allocates nothing and, until an attempt fails, reads no clock
//     beyond gobreaker's.
//   - Full jitter. backoff's ExponentialBackOff randomizes ±50% around the
//     interval and caps the interval before randomizing, so waits exceed
//     MaxInterval by up to half; full jitter with a hard cap needs a custom
//     BackOff anyway (one more allocation per call: the policy is stateful).
//   - Errors. When the context ends mid-backoff, backoff.Retry returns only
//     the context's cause and drops the dependency's error; Do returns both.
//   - The breaker. The loop asks the breaker before it waits, and stops at
//     once when the last failure tripped it, instead of sleeping into ErrOpen.
//
// backoff/v5 remains a test-only dependency, as the baseline of that
// benchmark.
//
// # Time in tests
//
// gobreaker reads time.Now directly and offers no clock to inject, so the
// tests run the breaker, and the retry loop's timers, inside testing/synctest
// bubbles, whose fake clock both use: a 30s OpenTimeout or a backoff
// schedule is tested exactly and instantly, without real sleeps.
package breaker
