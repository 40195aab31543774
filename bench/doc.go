// Package bench measures probekit against the Go health-check libraries
// people reach for instead, on the same workloads through the same net/http
// harness, and proves probekit's rolling restart loses no request. It is
// never imported: `make bench-compare` runs it and writes
// docs/benchmarks.md; `make test` runs each of its benchmarks once and its
// tests, so that none can rot.
package bench
