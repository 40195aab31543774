// Package fleettest proves package breakerredis with processes, not
// goroutines: its tests start three copies of the test binary that share
// one breaker on the real Redis, and put the fault proxy of
// github.com/probekit/probekit/integration/faultproxy between them and
// Redis.
//
// It is a module of its own, never released, because it requires the
// integration module (which is never published): breakerredis itself must
// not require it, or a user's `go get` of breakerredis would fail to
// resolve it.
package fleettest
