package integration_test

import (
	"context"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// TestSQLServers runs the SQL checks against the real PostgreSQL and MariaDB,
// through a registry as a service would, including pool saturation.
func TestSQLServers(t *testing.T) {
	t.Parallel()
	for _, d := range []database{postgres, mariadb} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			db := d.open(t, d.dsn(t))
			// Room for the ping and the query, which the registry runs
			// concurrently, below the pool check's 90% threshold.
			db.SetMaxOpenConns(4)
			ping := must(t)(checks.SQL(db, checks.SQLOptions{Name: d.name}))
			query := must(t)(checks.SQL(db, checks.SQLOptions{Name: d.name, Query: "SELECT 1"}))
			pool := must(t)(checks.SQLPool(db, checks.SQLPoolOptions{Name: d.name}))

			h := newRegistry(t, core.Options{})
			for name, fn := range map[string]core.CheckFunc{"ping": ping, "query": query, "pool": pool} {
				if err := h.Register(core.Check{Name: name, Check: fn, Timeout: 2 * time.Second}); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := h.Evaluate(context.Background(), core.Readiness)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != core.StatusOK {
				t.Fatalf("report = %s (%s), want ok: %+v", rep.Status, rep.Message, rep.Checks)
			}

			// Hold every connection of the pool: the pool check degrades.
			ctx := context.Background()
			for range 4 {
				conn, err := db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
			}
			rep, err = h.Evaluate(ctx, core.Readiness, "ping", "query")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != core.StatusDegraded || rep.Checks[0].Message != d.name+" pool: 4 of 4 connections in use" {
				t.Fatalf("with the pool full: report = %s, pool = %q; want degraded with the pool's reason",
					rep.Status, rep.Checks[0].Message)
			}
		})
	}
}

func TestRedisServer(t *testing.T) {
	t.Parallel()
	addr := serverAddr(t, "PROBEKIT_REDIS_ADDR")
	check := must(t)(checks.Redis(addr, checks.RedisOptions{}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := check(ctx); err != nil {
		t.Fatal(err)
	}
}
