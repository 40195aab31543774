package checks_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// A read replica the service queries: degraded from 30 s of lag (the
// default), unavailable from 5 minutes, and Optional, so that a lagging or
// broken replica, which every pod shares, degrades the pods instead of
// taking all of them out of rotation at once.
func ExamplePostgresReplication() {
	replica, err := sql.Open("pgx", os.Getenv("REPLICA_URL")) // any database/sql driver
	if err != nil {
		log.Fatal(err)
	}
	lag, err := checks.PostgresReplication(replica, checks.PostgresReplicationOptions{
		Name:           "orders-replica",
		Role:           checks.StandbyRole, // a promoted replica is reported
		UnavailableLag: 5 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "orders-replica", Check: lag, Interval: 10 * time.Second, Optional: true})
}

// The primary's side: at least one standby streaming, or degraded.
func ExamplePostgresReplication_primary() {
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	standbys, err := checks.PostgresReplication(db, checks.PostgresReplicationOptions{
		Role:        checks.PrimaryRole, // a demoted primary cannot take writes: unavailable
		MinStandbys: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "postgres-replication", Check: standbys, Interval: 10 * time.Second})
}

// A MariaDB replica whose SQL thread stopped on a duplicate key: the
// reason gives the error number, never the error text (which names the
// replication user and the primary's host).
func ExampleMySQLReplication() {
	replica := stoppedReplica() // sql.Open("mysql", ...) in a service
	defer replica.Close()
	check, err := checks.MySQLReplication(replica, checks.MySQLReplicationOptions{Name: "orders-replica"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(core.Reason(check(context.Background())))
	// Output: orders-replica replica: SQL thread stopped (error 1062)
}

// stoppedReplica is a fake database whose SHOW REPLICA STATUS describes a
// stopped SQL thread.
func stoppedReplica() *sql.DB {
	return sql.OpenDB(&scriptDB{answer: func(string) (*scriptRows, error) {
		return replicaStatus(with(running(""), "Slave_SQL_Running", "No", "Seconds_Behind_Master", nil,
			"Last_SQL_Errno", "1062", "Last_SQL_Error", "Could not execute Write_rows_v1 event on table shop.orders; Duplicate entry '3'")), nil
	}})
}

// The schema as a startup gate: the pod gets no traffic until the
// migrations it needs have run (a Job or an init container runs them
// before the rollout), and readiness keeps watching, degraded when a newer
// schema appears (the next release migrating ahead of this one).
func ExampleSchemaVersion() {
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	const schemaVersion = 42 // the newest migration this binary ships
	schema, err := checks.SchemaVersion(db, schemaVersion, checks.SchemaVersionOptions{Tool: checks.Goose})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "schema", Check: schema, Kinds: core.Startup | core.Readiness, Interval: 30 * time.Second})
}

// A golang-migrate migration that failed half-way leaves the schema
// dirty; the check says where it stopped and what the binary expects.
func ExampleSchemaVersion_dirty() {
	db := sql.OpenDB(&scriptDB{answer: func(string) (*scriptRows, error) {
		return &scriptRows{cols: []string{"version", "dirty"}, rows: [][]driver.Value{{int64(41), true}}}, nil
	}}) // sql.Open in a service
	defer db.Close()
	schema, err := checks.SchemaVersion(db, 42, checks.SchemaVersionOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(core.Reason(schema(context.Background())))
	// Output: schema at 41 (dirty), binary expects 42
}
