package integration_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// MySQLReplication against a real MariaDB primary and replica that the
// test makes: healthy, lagging behind a lock, SQL thread stopped by hand and
// by a duplicate key, IO thread cut off from a dead primary.
func TestMySQLReplication(t *testing.T) {
	t.Parallel()
	p, r := startMariaDBPair(t)
	primary, replica := p.open(t), r.open(t)
	password := randomSecret(t)
	replicate(t, primary, replica, p.port, password)
	ctx := context.Background()
	exec := func(db *sql.DB, stmt string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	check := func(db *sql.DB, opts checks.MySQLReplicationOptions) core.CheckFunc {
		return must(t)(checks.MySQLReplication(db, opts))
	}

	exec(primary, "CREATE DATABASE shop")
	exec(primary, "CREATE TABLE shop.orders (id int PRIMARY KEY)")
	exec(primary, "INSERT INTO shop.orders VALUES (1)")
	eventually(t, 20*time.Second, func() (bool, string) {
		var n int
		err := replica.QueryRowContext(ctx, "SELECT count(*) FROM shop.orders").Scan(&n)
		return err == nil && n == 1, "orders not replicated"
	})
	wantOutcome(t, check(replica, checks.MySQLReplicationOptions{}), core.StatusOK, "")
	wantOutcome(t, check(primary, checks.MySQLReplicationOptions{Name: "shop-db"}), core.StatusDegraded,
		`shop-db: not a replica \(replica status is empty\)`)

	// A lock on the replica holds the SQL thread: the lag grows, in
	// whole seconds.
	lock, err := replica.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "LOCK TABLES shop.orders WRITE"); err != nil {
		t.Fatal(err)
	}
	exec(primary, "INSERT INTO shop.orders VALUES (2)")
	wantOutcome(t, check(replica, checks.MySQLReplicationOptions{DegradedLag: time.Second}), core.StatusDegraded,
		`mysql replica: lag \d+s \(degraded at 1s\)`)
	wantOutcome(t, check(replica, checks.MySQLReplicationOptions{UnavailableLag: time.Second}), core.StatusUnavailable,
		`mysql replica: lag \d+s \(unavailable at 1s\)`)
	if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	wantOutcome(t, check(replica, checks.MySQLReplicationOptions{DegradedLag: time.Second}), core.StatusOK, "")

	// Stopped by hand.
	exec(replica, "STOP SLAVE SQL_THREAD")
	wantOutcome(t, check(replica, checks.MySQLReplicationOptions{}), core.StatusUnavailable, "mysql replica: SQL thread stopped")
	exec(replica, "START SLAVE SQL_THREAD")
	wantOutcome(t, check(replica, checks.MySQLReplicationOptions{}), core.StatusOK, "")

	// Stopped by a row written on the replica behind replication's back.
	exec(replica, "INSERT INTO shop.orders VALUES (3)")
	exec(primary, "INSERT INTO shop.orders VALUES (3)")
	wantOutcome(t, check(replica, checks.MySQLReplicationOptions{}), core.StatusUnavailable,
		`mysql replica: SQL thread stopped \(error 1062\)`)

	// The primary dies: the IO thread keeps trying to connect.
	p.kill()
	ioCheck := check(replica, checks.MySQLReplicationOptions{})
	wantOutcome(t, ioCheck, core.StatusUnavailable, `mysql replica: IO thread connecting \(error 20\d\d\)`)

	// The replication user, the primary's address and the password are in
	// Last_IO_Error; the reason has none of them, the underlying error
	// (ExposeErrors and logs only) never the password.
	ctx5, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var ce *core.CheckError
	if !errors.As(ioCheck(ctx5), &ce) {
		t.Fatal("the check passed with the primary dead")
	}
	for _, s := range []string{"repl@", "'repl'", "127.0.0.1", password} {
		if strings.Contains(ce.Reason, s) {
			t.Errorf("reason %q holds %q", ce.Reason, s)
		}
	}
	if ce.Err != nil && strings.Contains(ce.Err.Error(), password) {
		t.Errorf("underlying error holds the replication password: %v", ce.Err)
	}
}
