package integration_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/probekit/probekit/core"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The MySQL driver logs every connection the fault proxy breaks; the
	// tests expect those breaks and assert on the checks' errors instead.
	_ = mysql.SetLogger(log.New(io.Discard, "", 0))
	goleak.VerifyTestMain(m)
}

// unavailable skips the test, or fails it when CI=true: in CI every server
// must be there.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: servers must be reachable)", msg)
	}
	t.Skipf("%s; skipping (start the server, or point the variable at one)", msg)
}

// serverDefaults are the addresses of the servers when their variable is
// unset: the standard ports on the loopback interface, where the
// development machine and CI run them. They live here, not only in the
// Makefile, so that a plain `go test ./integration/...` tests the local
// servers instead of skipping everything and printing ok; the Makefile
// exports the same values (TestMakefileAgreesOnServerDefaults).
var serverDefaults = map[string]string{
	"PROBEKIT_POSTGRES_DSN": "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
	"PROBEKIT_MYSQL_DSN":    "root@tcp(127.0.0.1:3306)/test",
	"PROBEKIT_REDIS_ADDR":   "127.0.0.1:6379",
	"PROBEKIT_NATS_ADDR":    "127.0.0.1:4222",
	"PROBEKIT_AMQP_ADDR":    "127.0.0.1:5672",
	"PROBEKIT_MQTT_ADDR":    "127.0.0.1:1883",
}

// serverSetting returns the environment variable env, or its default from
// serverDefaults when it is unset or empty.
func serverSetting(env string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return serverDefaults[env]
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

// serverAddr returns the "host:port" in env var env (or its default),
// checked reachable.
func serverAddr(t *testing.T, env string) string {
	t.Helper()
	addr := serverSetting(env)
	reachable(t, env, addr)
	return addr
}

// database describes one SQL server under test: its driver, and how to
// point its DSN at another address (the fault proxy).
type database struct {
	name, env, driver string
	addr              func(dsn string) (string, error)
	withAddr          func(dsn, addr string) (string, error)
}

var (
	postgres = database{
		name: "postgres", env: "PROBEKIT_POSTGRES_DSN", driver: "pgx",
		addr: func(dsn string) (string, error) {
			u, err := url.Parse(dsn)
			if err != nil {
				return "", errors.New("DSN does not parse as a URL")
			}
			return u.Host, nil
		},
		withAddr: func(dsn, addr string) (string, error) {
			u, err := url.Parse(dsn)
			if err != nil {
				return "", errors.New("DSN does not parse as a URL")
			}
			u.Host = addr
			return u.String(), nil
		},
	}
	mariadb = database{
		name: "mariadb", env: "PROBEKIT_MYSQL_DSN", driver: "mysql",
		addr: func(dsn string) (string, error) {
			cfg, err := mysql.ParseDSN(dsn)
			if err != nil {
				return "", err
			}
			return cfg.Addr, nil
		},
		withAddr: func(dsn, addr string) (string, error) {
			cfg, err := mysql.ParseDSN(dsn)
			if err != nil {
				return "", err
			}
			cfg.Addr = addr
			return cfg.FormatDSN(), nil
		},
	}
)

// dsn returns the database's DSN from the environment (or its default),
// checked reachable.
func (d database) dsn(t *testing.T) string {
	t.Helper()
	dsn := serverSetting(d.env)
	addr, err := d.addr(dsn)
	if err != nil {
		t.Fatalf("%s: %v", d.env, err) // the error never holds the DSN itself
	}
	reachable(t, d.env, addr)
	return dsn
}

// open opens the database at dsn, closed at cleanup.
func (d database) open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(d.driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// transitions records the check transitions a registry reports.
type transitions struct {
	mu   sync.Mutex
	list []string // "from->to"
}

func (r *transitions) ObserveResult(core.Result) {}

func (r *transitions) ObserveTransition(t core.Transition) {
	if t.Component != "check" {
		return
	}
	r.mu.Lock()
	r.list = append(r.list, t.From+"->"+t.To)
	r.mu.Unlock()
}

func (r *transitions) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.list...)
}

// evaluate runs the readiness probe once and returns the single check's result.
func evaluate(t *testing.T, h *core.Registry) core.Result {
	t.Helper()
	rep, err := h.Evaluate(context.Background(), core.Readiness)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Checks) != 1 {
		t.Fatalf("report has %d checks, want 1", len(rep.Checks))
	}
	return rep.Checks[0]
}

// must unwraps a constructor's result, failing the test on an error.
func must(t *testing.T) func(core.CheckFunc, error) core.CheckFunc {
	return func(fn core.CheckFunc, err error) core.CheckFunc {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return fn
	}
}

// newRegistry returns a ready registry, closed at cleanup.
func newRegistry(t *testing.T, opts core.Options) *core.Registry {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	h, err := core.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	h.MarkStarted()
	return h
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
