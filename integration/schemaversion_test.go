package integration_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// scratchDatabase creates a database with a random name on d's server and
// returns a connection to it; the database is dropped at cleanup.
func scratchDatabase(t *testing.T, d database) (*sql.DB, string) {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "probekit_" + hex.EncodeToString(b)
	dsn := d.dsn(t)
	admin := d.open(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	var scratch string
	switch d.name {
	case "postgres":
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal("PROBEKIT_POSTGRES_DSN does not parse as a URL")
		}
		u.Path = "/" + name
		scratch = u.String()
	default:
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.DBName = name
		scratch = cfg.FormatDSN()
	}
	db, err := sql.Open(d.driver, scratch)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after admin's Close, so it runs before it: the scratch
	// connections are closed first, then the database is dropped.
	t.Cleanup(func() {
		db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		drop := "DROP DATABASE IF EXISTS " + name
		if d.name == "postgres" {
			drop += " WITH (FORCE)"
		}
		if _, err := admin.ExecContext(ctx, drop); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return db, name
}

// The tables golang-migrate, goose and Atlas create, filled as they fill
// them, read by SchemaVersion on real PostgreSQL and MariaDB.
func TestSchemaVersion(t *testing.T) {
	t.Parallel()
	for _, d := range []database{postgres, mariadb} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			db, name := scratchDatabase(t, d)
			ctx := context.Background()
			exec := func(stmts ...string) {
				t.Helper()
				for _, s := range stmts {
					if _, err := db.ExecContext(ctx, s); err != nil {
						t.Fatalf("%s: %v", s, err)
					}
				}
			}
			type step struct {
				setup    []string // statements run before the check
				want     int64
				opts     checks.SchemaVersionOptions
				reason   string // "" when healthy
				degraded bool
			}
			run := func(name string, steps []step) {
				t.Helper()
				for i, s := range steps {
					exec(s.setup...)
					check := must(t)(checks.SchemaVersion(db, s.want, s.opts))
					h := newRegistry(t, core.Options{})
					if err := h.Register(core.Check{Name: "schema", Check: check, Kinds: core.Startup | core.Readiness, Timeout: 5 * time.Second}); err != nil {
						t.Fatal(err)
					}
					res := evaluate(t, h)
					want := core.StatusOK
					switch {
					case s.degraded:
						want = core.StatusDegraded
					case s.reason != "":
						want = core.StatusUnavailable
					}
					if res.Status != want || res.Message != s.reason && s.reason != "" {
						t.Errorf("%s step %d: %s %q, want %s %q", name, i, res.Status, res.Message, want, s.reason)
					}
				}
			}

			// golang-migrate: one row, replaced on every migration.
			migrate := checks.SchemaVersionOptions{}
			run("golang-migrate", []step{
				{want: 42, opts: migrate,
					reason: "schema: table schema_migrations not found (migrations never ran, or another table or database)"},
				{setup: []string{"CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)"},
					want: 42, opts: migrate, reason: "schema has no migrations applied, binary expects 42"},
				{setup: []string{"INSERT INTO schema_migrations (version, dirty) VALUES (41, true)"},
					want: 42, opts: migrate, reason: "schema at 41 (dirty), binary expects 42"},
				{setup: []string{"DELETE FROM schema_migrations", "INSERT INTO schema_migrations (version, dirty) VALUES (41, false)"},
					want: 42, opts: migrate, reason: "schema at 41, binary expects 42"},
				{setup: []string{"DELETE FROM schema_migrations", "INSERT INTO schema_migrations (version, dirty) VALUES (42, false)"},
					want: 42, opts: migrate},
				{want: 41, opts: migrate, reason: "schema at 42, binary expects 41", degraded: true},
				{want: 41, opts: checks.SchemaVersionOptions{Newer: checks.NewerOK}},
				{want: 41, opts: checks.SchemaVersionOptions{Newer: checks.NewerUnavailable, Name: "orders-db"},
					reason: "orders-db schema at 42, binary expects 41"},
				// The next release's migration failed half-way: this
				// release's pods stay in rotation.
				{setup: []string{"UPDATE schema_migrations SET version = 43, dirty = true"},
					want: 42, opts: migrate, reason: "schema at 43 (dirty), binary expects 42", degraded: true},
			})

			// golang-migrate with x-migrations-table, in another schema
			// (PostgreSQL) or database (MariaDB).
			other := name + "_other"
			qualified := checks.SchemaVersionOptions{Table: other + ".app_migrations"}
			if d.name == "postgres" {
				exec("CREATE SCHEMA " + other)
			} else {
				exec("CREATE DATABASE " + other)
				t.Cleanup(func() { _, _ = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+other) })
			}
			run("qualified table", []step{
				{setup: []string{"CREATE TABLE " + qualified.Table + " (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)",
					"INSERT INTO " + qualified.Table + " VALUES (7, false)"}, want: 7, opts: qualified},
			})

			// goose: a row per migration and per rollback (before v3.16:
			// is_applied false; later: the row is deleted).
			serial := "id serial NOT NULL PRIMARY KEY"
			if d.name == "mariadb" {
				serial = "id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY"
			}
			goose := checks.SchemaVersionOptions{Tool: checks.Goose}
			insert := func(version int, applied bool) string {
				b := "false"
				if applied {
					b = "true"
				}
				return "INSERT INTO goose_db_version (version_id, is_applied) VALUES (" + strconv.Itoa(version) + ", " + b + ")"
			}
			run("goose", []step{
				{setup: []string{"CREATE TABLE goose_db_version (" + serial + ", version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now())"},
					want: 3, opts: goose, reason: "schema has no migrations applied, binary expects 3"},
				{setup: []string{insert(0, true)}, want: 3, opts: goose, reason: "schema at 0, binary expects 3"},
				{setup: []string{insert(1, true), insert(2, true), insert(3, true)}, want: 3, opts: goose},
				// An old goose rolled 3 back: 2 is current.
				{setup: []string{insert(3, false)}, want: 3, opts: goose, reason: "schema at 2, binary expects 3"},
				// Applied again: its latest row counts.
				{setup: []string{insert(3, true)}, want: 3, opts: goose},
				// A newer goose rolls back by deleting the row.
				{setup: []string{"DELETE FROM goose_db_version WHERE version_id = 3"}, want: 3, opts: goose,
					reason: "schema at 2, binary expects 3"},
			})

			// Atlas: a row per revision, dirty while partly applied.
			text, bigint := "character varying", "bigint"
			if d.name == "mariadb" {
				text = "varchar(255)"
			}
			atlas := checks.SchemaVersionOptions{Tool: checks.Atlas}
			run("atlas", []step{
				{setup: []string{"CREATE TABLE atlas_schema_revisions (version " + text + " NOT NULL PRIMARY KEY, " +
					"description " + text + " NOT NULL, type " + bigint + " NOT NULL DEFAULT 2, applied " + bigint + " NOT NULL DEFAULT 0, " +
					"total " + bigint + " NOT NULL DEFAULT 0, error text NULL)",
					"INSERT INTO atlas_schema_revisions (version, description, applied, total) VALUES ('20250101000000', 'init', 3, 3)",
					"INSERT INTO atlas_schema_revisions (version, description, applied, total, error) VALUES ('20250201000000', 'orders', 1, 2, 'Error 1050')"},
					want: 20250201000000, opts: atlas, reason: "schema at 20250201000000 (dirty), binary expects 20250201000000"},
				{setup: []string{"UPDATE atlas_schema_revisions SET applied = 2, error = NULL WHERE version = '20250201000000'"},
					want: 20250201000000, opts: atlas},
			})
		})
	}
}
