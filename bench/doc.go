// Package bench measures probekit against the Go health-check libraries
// people reach for instead, on the same workloads through the same net/http
// harness, and proves that a rolling restart behind a readiness-following
// load balancer loses no request. It is never imported and never released:
//
//	make bench-compare   # runs everything, rewrites docs/benchmarks.md
//
// `make test` runs its tests (the rolling restart, the panicking check in a
// child process) and each of its benchmarks once, so that none can rot; no
// test judges a timing.
//
// The workloads, each a benchmark in its own file: BenchmarkCached and
// BenchmarkSync (probe_test.go), BenchmarkStorm (1,000 concurrent probes on
// a 20 ms check, dependency calls per wave), BenchmarkHung (a check that
// never returns: is the probe answered within the kubelet's timeout, and how
// many goroutines are left), BenchmarkPanic (does the process survive a
// panicking check; panic_test.go re-executes the test binary so that a peer
// that crashes kills only the child), BenchmarkDrain (probekit's Drain over a
// no-op middleware in net/http, chi, gin, echo and fiber), BenchmarkWrk
// (Debian's wrk on loopback) and TestRollingRestart (rolling_test.go, with
// the balancer in balancer_test.go and the service in cmd/rollserver).
// cmd/report turns their output into docs/benchmarks.md.
//
// Why each dependency:
//   - github.com/alexliesenfeld/health, github.com/hellofresh/health-go/v5
//     and github.com/AppsFlyer/go-sundheit are the peers compared: the
//     popular Go health libraries whose modules the proxy serves (heptiolabs/
//     healthcheck and InVisionApp/go-health, also popular, are not served
//     here, so they are not measured). Only go.mod requires them; none of
//     their code is committed.
//   - chi, gin, echo and fiber (with fasthttp, fiber's server, for its
//     request context) are the frameworks whose probekit adapters' Drain is
//     measured and whose Serve the rolling restart runs.
//   - go.uber.org/goleak checks that the tests leave no goroutine behind,
//     except the one health-go leaks by design, which BenchmarkHung counts.
//
// The go.mod keeps replace directives to the sibling modules, as examples
// does: the module is excluded from releases (versions.txt).
package bench
