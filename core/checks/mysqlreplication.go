package checks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/probekit/probekit/core"
)

// MySQLReplicationOptions configures [MySQLReplication]. The zero value is
// ready to use: lag of 30 s or more is degraded and lag alone never makes
// the check unavailable.
type MySQLReplicationOptions struct {
	// Name labels the server in reasons: "orders-replica replica: SQL
	// thread stopped (error 1062)". Default: "mysql". Validated as
	// SQLOptions.Name.
	Name string

	// DegradedLag is the replication lag (Seconds_Behind_Master) at or
	// above which the check is degraded. Default: DefaultDegradedLag
	// (30 s), or UnavailableLag if that is set and smaller. The server
	// counts in whole seconds. Negative is an error.
	DegradedLag time.Duration

	// UnavailableLag is the lag at or above which the check is unavailable.
	// Default: none, lag only degrades (see
	// PostgresReplicationOptions.UnavailableLag). Negative, or below
	// DegradedLag, is an error.
	UnavailableLag time.Duration
}

// MySQLReplication returns a check of a MySQL or MariaDB replica, for the
// server that db connects to: SHOW REPLICA STATUS (MariaDB 10.5 and later,
// MySQL 8.0.22 and later), or SHOW SLAVE STATUS where the server does not
// know the first. Columns are read by name, under their old and new names
// (Slave_IO_Running or Replica_IO_Running, Seconds_Behind_Master or
// Seconds_Behind_Source), since their set differs between versions.
//
// The replica is unavailable when its IO thread is not running ("IO thread
// connecting (error 2003)": it cannot reach the primary), when its SQL
// thread is not running ("SQL thread stopped (error 1062)") or when the
// server does not know its lag (Seconds_Behind_Master NULL): replication has
// stopped and the data only grows older. Unlike a paused PostgreSQL replay,
// which still reports how far behind it is, a stopped thread reports
// nothing. Reasons give the error numbers (Last_IO_Errno, Last_SQL_Errno)
// but never the error texts, which name the replication user and the
// primary's host; the texts are kept, quoted and bounded, in the underlying
// error for core.Options.ExposeErrors and logs. With several replication
// channels (MySQL) every channel is checked and the first problem is
// reported, with its channel's name; MariaDB's SHOW SLAVE STATUS covers its
// default connection only.
//
// A server that is not a replica (empty status: never configured, or
// promoted with RESET SLAVE ALL) is degraded: "mysql: not a replica". The
// check's user needs the REPLICATION CLIENT privilege (MariaDB 10.5 and
// later: REPLICA MONITOR or SLAVE MONITOR); without it the reason is
// "permission denied".
//
// MySQLReplication returns an error if db is nil or an option is invalid;
// the error names the field.
func MySQLReplication(db *sql.DB, opts MySQLReplicationOptions) (core.CheckFunc, error) {
	const typ = "MySQLReplicationOptions"
	if db == nil {
		return nil, errors.New("checks: MySQLReplication: db is nil")
	}
	if err := validateName(typ+".Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: MySQLReplication: %w", err)
	}
	limits, err := newLagLimits(typ, opts.DegradedLag, opts.UnavailableLag)
	if err != nil {
		return nil, fmt.Errorf("checks: MySQLReplication: %w", err)
	}
	m := &mysqlReplication{db: db, label: labelOr(opts.Name, "mysql"), limits: limits}
	return m.check, nil
}

// mysqlReplication is a configured MySQLReplication check.
type mysqlReplication struct {
	db     *sql.DB
	label  string
	limits lagLimits
	// slave is set once SHOW REPLICA STATUS failed and SHOW SLAVE STATUS
	// worked: the server predates the new syntax, and every later run asks
	// the old one first. A transient failure of the first statement followed
	// by a success of the second also sets it, which costs nothing: servers
	// that know the new syntax still know the old one, except MySQL 8.4,
	// where the old one then fails and the new one is asked again.
	slave atomic.Bool
}

func (m *mysqlReplication) check(ctx context.Context) error {
	ctx, cancel, budget := bound(ctx)
	defer cancel()
	stmts := [2]string{"SHOW REPLICA STATUS", "SHOW SLAVE STATUS"}
	if m.slave.Load() {
		stmts[0], stmts[1] = stmts[1], stmts[0]
	}
	rows, err := readStatusRows(ctx, m.db, stmts[0])
	if err != nil && ctx.Err() == nil {
		var err2 error
		switch rows, err2 = readStatusRows(ctx, m.db, stmts[1]); {
		case err2 == nil:
			m.slave.Store(stmts[1] == "SHOW SLAVE STATUS")
			err = nil
		case core.Reason(err2) != "syntax error":
			// Both failed: the statement the server does not know (MySQL
			// 8.4 removed SHOW SLAVE STATUS) says nothing, the other one
			// says why (permission denied, connection lost).
			err = err2
		}
	}
	if err != nil {
		return failure(ctx, m.label, budget, err)
	}
	if len(rows) == 0 {
		return core.Degraded(m.label+": not a replica (replica status is empty)", nil)
	}
	var worst error
	for _, r := range rows {
		err := m.judge(r)
		var ce *core.CheckError
		if errors.As(err, &ce) && !ce.Degraded {
			return err
		}
		if worst == nil {
			worst = err
		}
	}
	return worst
}

// statusRow is one row of SHOW REPLICA STATUS, by column name; NULL
// columns are absent.
type statusRow map[string]string

// get returns the first of the named columns present in the row.
func (r statusRow) get(names ...string) (string, bool) {
	for _, n := range names {
		if v, ok := r[n]; ok {
			return v, true
		}
	}
	return "", false
}

// readStatusRows runs a SHOW statement and returns its rows by column name.
func readStatusRows(ctx context.Context, db *sql.DB, stmt string) ([]statusRow, error) {
	rows, err := db.QueryContext(ctx, stmt)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []statusRow
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := make(statusRow, len(cols))
		for i, c := range cols {
			if vals[i].Valid {
				r[c] = vals[i].String
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// judge turns one replication channel's status into the check's result.
func (m *mysqlReplication) judge(r statusRow) error {
	prefix := m.label + " replica"
	if ch, _ := r.get("Channel_Name", "Connection_name"); ch != "" {
		if safeChannelName(ch) {
			prefix += " channel " + ch
		} else {
			prefix += " channel (unnamed)"
		}
	}
	prefix += ": "
	io, _ := r.get("Replica_IO_Running", "Slave_IO_Running")
	sqlRunning, _ := r.get("Replica_SQL_Running", "Slave_SQL_Running")
	switch {
	case !strings.EqualFold(io, "Yes"):
		state := "not running"
		switch {
		case strings.EqualFold(io, "No"), io == "":
			state = "stopped"
		case strings.EqualFold(io, "Connecting"):
			state = "connecting"
		case strings.EqualFold(io, "Preparing"):
			state = "preparing"
		}
		return core.Unhealthy(prefix+"IO thread "+state+errnoSuffix(r, "Last_IO_Errno"), threadError(r, "Last_IO_Error"))
	case !strings.EqualFold(sqlRunning, "Yes"):
		return core.Unhealthy(prefix+"SQL thread stopped"+errnoSuffix(r, "Last_SQL_Errno"), threadError(r, "Last_SQL_Error"))
	}
	behind, ok := r.get("Seconds_Behind_Source", "Seconds_Behind_Master")
	if !ok {
		return core.Unhealthy(prefix+"lag unknown (Seconds_Behind_Master is NULL)", nil)
	}
	n, err := strconv.ParseInt(behind, 10, 64)
	if err != nil || n < 0 {
		return core.Unhealthy(prefix+"lag unknown (Seconds_Behind_Master is not a number)", nil)
	}
	return m.limits.judge(prefix, seconds(float64(n)), false)
}

// errnoSuffix returns " (error 1062)" for a non-zero error number in
// column col, else "".
func errnoSuffix(r statusRow, col string) string {
	v, _ := r.get(col)
	if n, err := strconv.ParseUint(v, 10, 32); err == nil && n != 0 {
		return " (error " + strconv.FormatUint(n, 10) + ")"
	}
	return ""
}

// threadError returns the text of error column col, quoted and bounded, as
// an underlying error, or nil when it is empty. It names the replication
// user and the primary's host, so it never reaches a reason.
func threadError(r statusRow, col string) error {
	v, _ := r.get(col)
	if v == "" {
		return nil
	}
	return errors.New(col + ": " + quote(v, maxErrorText))
}

// safeChannelName reports whether a replication channel's name can be shown
// as it is: letters, digits, '_' and '-', at most 64 bytes.
func safeChannelName(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !isIdentByte(c) && c != '-' {
			return false
		}
	}
	return true
}

// isIdentByte reports whether c may appear in a plain SQL identifier.
func isIdentByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
