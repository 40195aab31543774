package integration_test

import (
	"context"
	"errors"
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// replicationTarget is d's replication check through the fault proxy, on
// the shared server, which is not a replica: PostgreSQL's check passes on
// a primary without standbys; MariaDB's reports "not a replica" (degraded),
// which counts as healthy here, so that the faults show through the same
// classification as every other check.
func replicationTarget(d database) target {
	tg := sqlTarget(d)
	tg.name = d.name + "-replication"
	tg.check = func(t *testing.T, addr string) core.CheckFunc {
		dsn, err := d.withAddr(d.dsn(t), addr)
		if err != nil {
			t.Fatal(err)
		}
		db := d.open(t, dsn)
		if d.name == "postgres" {
			return must(t)(checks.PostgresReplication(db, checks.PostgresReplicationOptions{Name: d.name}))
		}
		check := must(t)(checks.MySQLReplication(db, checks.MySQLReplicationOptions{Name: d.name}))
		return func(ctx context.Context) error {
			err := check(ctx)
			var ce *core.CheckError
			if errors.As(err, &ce) && ce.Reason == d.name+": not a replica (replica status is empty)" {
				return nil
			}
			return err
		}
	}
	return tg
}
