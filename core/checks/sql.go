package checks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/probekit/probekit/core"
)

// SQLOptions configures [SQL]. The zero value is ready to use: a ping.
type SQLOptions struct {
	// Name labels the database in failure reasons: "orders-db: timeout after
	// 800ms". Default: "sql". The DSN never appears in reasons.
	// A name that looks like a connection string ("@", "=" or "://"),
	// holds a control character or is longer than 128 bytes is an error:
	// reasons are shown to anyone who can reach a probe.
	Name string

	// Query, when set, is run instead of the ping, for example "SELECT 1",
	// or a query that touches a table the service needs. Only its first row
	// is read. Default: none; the check calls PingContext.
	Query string
}

// SQL returns a check that pings db (db.PingContext), or runs
// SQLOptions.Query, within the context's deadline (or core.DefaultTimeout if
// it has none). The connection comes from db's pool, so the check also
// proves that the pool can hand one out.
//
// Failures read "postgres: timeout after 800ms" or "sql: connection refused".
// The driver's error is kept as the underlying error, shown only with
// core.Options.ExposeErrors: drivers do not put passwords in their errors,
// but they may name the user, database and host.
//
// Because the connection comes from the service's own pool, a saturated
// pool makes the ping wait for a free connection and time out: readiness
// then fails exactly when the service is busiest, and every pod may drop out
// of rotation at once. Register SQL as Optional, or give it a small *sql.DB
// of its own (SetMaxOpenConns(1)), and watch saturation with SQLPool.
//
// SQL returns an error if db is nil or Name is not a valid name.
func SQL(db *sql.DB, opts SQLOptions) (core.CheckFunc, error) {
	if db == nil {
		return nil, errors.New("checks: SQL: db is nil")
	}
	if err := validateName("SQLOptions.Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: SQL: %w", err)
	}
	label := labelOr(opts.Name, "sql")
	query := opts.Query
	return func(ctx context.Context) error {
		ctx, cancel, budget := bound(ctx)
		defer cancel()
		var err error
		if query == "" {
			err = db.PingContext(ctx)
		} else {
			err = queryFirstRow(ctx, db, query)
		}
		if err != nil {
			return failure(ctx, label, budget, err)
		}
		return nil
	}, nil
}

// queryFirstRow runs query and reads (at most) its first row.
func queryFirstRow(ctx context.Context, db *sql.DB, query string) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	rows.Next()
	if err := rows.Close(); err != nil {
		return err
	}
	return rows.Err()
}

// SQLPoolOptions configures [SQLPool]. The zero value is ready to use.
type SQLPoolOptions struct {
	// Name labels the database in reasons: "orders-db pool: 19 of 20
	// connections in use". Default: "sql". Validated as SQLOptions.Name.
	Name string

	// DegradedAt is the share of db's MaxOpenConnections in use at or above
	// which the pool is reported degraded. Default: 0.9. Must be in (0, 1].
	DegradedAt float64
}

// SQLPool returns a check that reports db's connection pool as degraded
// (core.Degraded) when the connections in use reach SQLPoolOptions.DegradedAt
// of db.SetMaxOpenConns. A saturated pool makes requests queue for a
// connection: the service still works, slowly; reporting it degraded, rather
// than unavailable, keeps a busy pod in rotation instead of shifting its load
// onto its peers.
//
// A pool without a limit (MaxOpenConnections 0) cannot saturate and always
// passes. The check reads db.Stats only: it never touches the database.
// SQLPool returns an error if db is nil, Name is not a valid name or
// DegradedAt is out of range.
func SQLPool(db *sql.DB, opts SQLPoolOptions) (core.CheckFunc, error) {
	if db == nil {
		return nil, errors.New("checks: SQLPool: db is nil")
	}
	if err := validateName("SQLPoolOptions.Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: SQLPool: %w", err)
	}
	at := opts.DegradedAt
	switch {
	case at == 0:
		at = 0.9
	case math.IsNaN(at) || at < 0 || at > 1:
		return nil, fmt.Errorf("checks: SQLPool: SQLPoolOptions.DegradedAt %v is not in (0, 1]", at)
	}
	label := labelOr(opts.Name, "sql") + " pool"
	return func(context.Context) error {
		s := db.Stats()
		if s.MaxOpenConnections <= 0 {
			return nil
		}
		if float64(s.InUse) < at*float64(s.MaxOpenConnections) {
			return nil
		}
		return core.Degraded(
			fmt.Sprintf("%s: %d of %d connections in use", label, s.InUse, s.MaxOpenConnections),
			fmt.Errorf("pool saturated: in use %d, idle %d, max open %d, waited %d times for %v in total",
				s.InUse, s.Idle, s.MaxOpenConnections, s.WaitCount, s.WaitDuration))
	}, nil
}
