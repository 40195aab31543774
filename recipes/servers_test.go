package recipes_test

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"
)

// The servers the recipes run against, as the integration module finds
// them: an environment variable (the Makefile exports it), else the standard
// port on the loopback interface.
var serverDefaults = map[string]string{
	"PROBEKIT_POSTGRES_DSN": "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
	"PROBEKIT_REDIS_ADDR":   "127.0.0.1:6379",
	"PROBEKIT_NATS_ADDR":    "127.0.0.1:4222",
	"PROBEKIT_AMQP_ADDR":    "127.0.0.1:5672", // RabbitMQ, user guest, password guest
}

// serverSetting returns the environment variable env, or its default.
func serverSetting(env string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return serverDefaults[env]
}

// unavailable skips the test, or fails it when CI=true: in CI every server
// must be there, and a recipe that silently skipped would prove nothing.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: servers must be reachable)", msg)
	}
	t.Skipf("%s; skipping (start the server, or point the variable at one)", msg)
}

// reachable skips or fails the test unless something accepts TCP at addr.
func reachable(t *testing.T, env, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		unavailable(t, "%s: %s unreachable: %v", env, addr, err)
		return
	}
	c.Close()
}

// serverAddr returns the "host:port" in env (or its default), reachable.
func serverAddr(t *testing.T, env string) string {
	t.Helper()
	addr := serverSetting(env)
	reachable(t, env, addr)
	return addr
}

// closedAddr returns a loopback address where nothing listens: a port the
// kernel gave a listener that is closed again, so a dial is refused.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
