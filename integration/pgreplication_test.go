package integration_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// eventually calls cond until it reports done, failing the test with cond's
// last word when it has not within limit. The servers move on their own
// (WAL is shipped, replayed, a receiver exits): tests wait for the state
// they need instead of sleeping.
func eventually(t *testing.T, limit time.Duration, cond func() (done bool, last string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		done, last := cond()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", limit, last)
		}
		<-tick.C
	}
}

// outcome runs check and returns its status and reason.
func outcome(check core.CheckFunc) (core.Status, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := check(ctx)
	var ce *core.CheckError
	switch {
	case err == nil:
		return core.StatusOK, ""
	case errors.As(err, &ce) && ce.Degraded:
		return core.StatusDegraded, ce.Reason
	case errors.As(err, &ce):
		return core.StatusUnavailable, ce.Reason
	}
	return core.StatusUnavailable, err.Error()
}

// wantOutcome waits until check reports status with a reason matching
// pattern (anchored; "" for healthy).
func wantOutcome(t *testing.T, check core.CheckFunc, status core.Status, pattern string) {
	t.Helper()
	re := regexp.MustCompile("^(?:" + pattern + ")$")
	eventually(t, 20*time.Second, func() (bool, string) {
		got, reason := outcome(check)
		return got == status && re.MatchString(reason), string(got) + " " + reason
	})
}

// PostgresReplication against a real primary and standby that the test
// makes, drives through a paused replay, a lost primary and a promotion,
// and removes.
func TestPostgresReplication(t *testing.T) {
	t.Parallel()
	c := startPGCluster(t)
	primary, standby := postgres.open(t, c.primaryDSN), postgres.open(t, c.standbyDSN)
	ctx := context.Background()
	exec := func(db *sql.DB, stmt string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	check := func(db *sql.DB, opts checks.PostgresReplicationOptions) core.CheckFunc {
		return must(t)(checks.PostgresReplication(db, opts))
	}
	// caughtUp waits until the standby has received, or replayed, all the
	// WAL the primary has written so far.
	caughtUp := func(fn string) {
		t.Helper()
		var lsn string
		if err := primary.QueryRowContext(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, func() (bool, string) {
			var ok bool
			err := standby.QueryRowContext(ctx, "SELECT coalesce("+fn+"() >= $1::pg_lsn, false)", lsn).Scan(&ok)
			return err == nil && ok, "standby " + fn + " below the primary's " + lsn
		})
	}

	exec(primary, "CREATE TABLE orders (id serial PRIMARY KEY)")
	exec(primary, "INSERT INTO orders DEFAULT VALUES")
	caughtUp("pg_last_wal_replay_lsn")

	// Caught up, the last replayed commit ages while nothing is behind: a
	// 1ms threshold still passes.
	strict := checks.PostgresReplicationOptions{DegradedLag: time.Millisecond}
	wantOutcome(t, check(standby, strict), core.StatusOK, "")
	wantOutcome(t, check(primary, checks.PostgresReplicationOptions{MinStandbys: 1, Role: checks.PrimaryRole}), core.StatusOK, "")
	wantOutcome(t, check(primary, checks.PostgresReplicationOptions{MinStandbys: 2, Name: "orders-db"}),
		core.StatusDegraded, `orders-db primary: 1 standby streaming \(min 2\)`)
	// A logical replication client (a CDC consumer such as Debezium)
	// streams from the primary too, but is no standby: it neither counts
	// towards MinStandbys nor lends its lag to the primary's.
	stopCDC := startLogicalClient(t, c, primary)
	wantOutcome(t, check(primary, checks.PostgresReplicationOptions{MinStandbys: 2, Name: "orders-db"}),
		core.StatusDegraded, `orders-db primary: 1 standby streaming \(min 2\)`)
	stopCDC()
	wantOutcome(t, check(standby, checks.PostgresReplicationOptions{Role: checks.PrimaryRole}),
		core.StatusUnavailable, "postgres: expected a primary, server is a standby")
	wantOutcome(t, check(primary, checks.PostgresReplicationOptions{Role: checks.StandbyRole}),
		core.StatusDegraded, `postgres: expected a standby, server is a primary \(promoted\?\)`)

	// A user without pg_monitor sees the replication views without their
	// details: the primary says so, the standby still judges by its LSNs.
	exec(primary, "CREATE ROLE probekit_probe LOGIN")
	caughtUp("pg_last_wal_replay_lsn")
	asProbe := func(dsn string) *sql.DB {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.User("probekit_probe")
		return postgres.open(t, u.String())
	}
	wantOutcome(t, check(asProbe(c.primaryDSN), checks.PostgresReplicationOptions{}), core.StatusUnavailable,
		`postgres primary: pg_stat_replication details hidden \(grant pg_monitor to the check's user\)`)
	wantOutcome(t, check(asProbe(c.standbyDSN), strict), core.StatusOK, "")
	exec(primary, "GRANT pg_monitor TO probekit_probe")
	wantOutcome(t, check(asProbe(c.primaryDSN), checks.PostgresReplicationOptions{MinStandbys: 1}), core.StatusOK, "")

	// Paused with nothing to replay: degraded, caught up.
	exec(standby, "SELECT pg_wal_replay_pause()")
	wantOutcome(t, check(standby, checks.PostgresReplicationOptions{}), core.StatusDegraded,
		"postgres standby: replay paused, caught up")

	// A write arrives and waits: the lag is the age of the last replayed
	// commit, and grows.
	exec(primary, "INSERT INTO orders DEFAULT VALUES")
	caughtUp("pg_last_wal_receive_lsn")
	wantOutcome(t, check(standby, checks.PostgresReplicationOptions{DegradedLag: time.Millisecond, UnavailableLag: time.Hour}),
		core.StatusDegraded, `postgres standby: replay paused, lag \S+ \(degraded at 1ms\)`)
	wantOutcome(t, check(standby, checks.PostgresReplicationOptions{DegradedLag: time.Millisecond, UnavailableLag: 50 * time.Millisecond}),
		core.StatusUnavailable, `postgres standby: replay paused, lag \S+ \(unavailable at 50ms\)`)

	// Resumed, it catches up.
	exec(standby, "SELECT pg_wal_replay_resume()")
	caughtUp("pg_last_wal_replay_lsn")
	wantOutcome(t, check(standby, strict), core.StatusOK, "")

	// The primary goes away: the standby stops streaming.
	if err := c.stop(c.primaryData); err != nil {
		t.Fatal(err)
	}
	wantOutcome(t, check(standby, checks.PostgresReplicationOptions{}), core.StatusUnavailable,
		`postgres standby: not streaming from the primary \((no WAL receiver|WAL receiver \w+)\)`)

	// Promoted, it is a primary; a check that expects a standby says so.
	exec(standby, "SELECT pg_promote()")
	wantOutcome(t, check(standby, checks.PostgresReplicationOptions{Role: checks.StandbyRole}), core.StatusDegraded,
		`postgres: expected a standby, server is a primary \(promoted\?\)`)
	wantOutcome(t, check(standby, checks.PostgresReplicationOptions{}), core.StatusOK, "")
}

// startLogicalClient creates a logical replication slot on the primary and
// streams from it with pg_recvlogical, until the returned function (also
// run at cleanup) stops it; it returns once the client streams.
func startLogicalClient(t *testing.T, c *pgCluster, primary *sql.DB) (stop func()) {
	t.Helper()
	ctx := context.Background()
	if _, err := primary.ExecContext(ctx, "SELECT pg_create_logical_replication_slot('probekit_cdc', 'test_decoding')"); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(c.primaryDSN)
	if err != nil {
		t.Fatal(err)
	}
	cmd := osexec.Command(filepath.Join(c.bin, "pg_recvlogical"), "-h", u.Hostname(), "-p", u.Port(),
		"-U", "postgres", "-d", "postgres", "--slot", "probekit_cdc", "--start", "-f", os.DevNull)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			// The slot goes too, once its walsender has exited: a slot
			// keeps WAL and its client's traffic out of the later steps.
			eventually(t, 20*time.Second, func() (bool, string) {
				_, err := primary.ExecContext(ctx, "SELECT pg_drop_replication_slot('probekit_cdc')")
				return err == nil, fmt.Sprintf("dropping the slot: %v", err)
			})
		})
	}
	t.Cleanup(stop)
	eventually(t, 20*time.Second, func() (bool, string) {
		var n int
		err := primary.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'").Scan(&n)
		return err == nil && n == 2, fmt.Sprintf("%d walsenders streaming, want the standby and pg_recvlogical (%v)", n, err)
	})
	return stop
}
