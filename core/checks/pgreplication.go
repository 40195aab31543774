package checks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/probekit/probekit/core"
)

// ReplicationRole is the role [PostgresReplication] expects its server to
// have.
type ReplicationRole int

const (
	// DetectRole asks the server (pg_is_in_recovery()) and checks a
	// standby as a standby and a primary as a primary. It is the default.
	DetectRole ReplicationRole = iota
	// PrimaryRole expects a primary. A server in recovery (a standby) is
	// unavailable: the service's writes would fail.
	PrimaryRole
	// StandbyRole expects a standby. A server that is not in recovery was
	// most likely promoted: it still serves reads, so the check reports it
	// degraded rather than unavailable.
	StandbyRole
)

// String returns "detect", "primary" or "standby".
func (r ReplicationRole) String() string {
	switch r {
	case DetectRole:
		return "detect"
	case PrimaryRole:
		return "primary"
	case StandbyRole:
		return "standby"
	}
	return fmt.Sprintf("ReplicationRole(%d)", int(r))
}

// PostgresReplicationOptions configures [PostgresReplication]. The zero
// value is ready to use: the role is detected, lag of 30 s or more is
// degraded and lag alone never makes the check unavailable.
type PostgresReplicationOptions struct {
	// Name labels the server in reasons: "orders-replica standby: replay
	// lag 45s (degraded at 30s)". Default: "postgres". Validated as
	// SQLOptions.Name.
	Name string

	// Role is the role the server must have. Default: DetectRole.
	Role ReplicationRole

	// DegradedLag is the replication lag at or above which the check is
	// degraded. Default: DefaultDegradedLag (30 s), or UnavailableLag if
	// that is set and smaller. Negative is an error.
	DegradedLag time.Duration

	// UnavailableLag is the lag at or above which the check is unavailable.
	// Default: none, lag only degrades: a lagging replica still serves, and
	// when every pod reads from the same one, failing readiness on lag
	// takes them all out of rotation at once. Negative, or below
	// DegradedLag, is an error.
	UnavailableLag time.Duration

	// MinStandbys is the number of streaming standbys a primary must have;
	// fewer is degraded (the primary still serves, with less redundancy).
	// Default: 0. Ignored on a standby. Negative is an error.
	MinStandbys int
}

// PostgresReplication returns a check of PostgreSQL streaming replication,
// for the server that db connects to, in one query.
//
// On a standby (pg_is_in_recovery() is true) it checks that the WAL
// receiver is streaming from the primary (unavailable if not: the standby
// falls further behind with no way to tell how far), whether replay is
// paused (pg_is_wal_replay_paused(), true from the moment a pause is
// requested; degraded at least) and the replay lag. The
// lag is now() - pg_last_xact_replay_timestamp(), the age of the last
// transaction replayed, but only while WAL has been received that is not yet
// replayed (pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()): on an idle
// primary no transaction commits, the timestamp ages although nothing is
// behind, and a standby that has replayed all it received has no lag. Two
// consequences: after a long idle period, the first transaction to arrive
// reads as lagging by up to the idle time until it is replayed (usually
// milliseconds; a FailureThreshold of 2 absorbs it); and the timestamp comes
// from the primary's clock, so clock skew between the hosts adds to the lag.
//
// On a primary it reads pg_stat_replication: the number of streaming
// standbys (degraded below MinStandbys; logical replication clients, which
// are no standbys, are left out) and the largest replay_lag, which
// the primary measures when a standby reports progress. A standby whose
// replay is paused reports none, so its last lag stays until replay resumes:
// to watch a standby's pause, check the standby. replay_lag is NULL once a
// standby has caught up and the primary is idle, and counts as no lag.
//
// Reasons name the numbers: "postgres standby: replay lag 45s (degraded at
// 30s)", "postgres standby: replay paused, lag 2s", "postgres primary: 1
// standby streaming (min 2)", "postgres: expected a primary, server is a
// standby". A user without the pg_monitor role (or superuser) sees
// pg_stat_replication and pg_stat_wal_receiver without their details; the
// check then says "grant pg_monitor" rather than guess. Needs PostgreSQL 10
// or later.
//
// PostgresReplication returns an error if db is nil or an option is invalid;
// the error names the field.
func PostgresReplication(db *sql.DB, opts PostgresReplicationOptions) (core.CheckFunc, error) {
	const typ = "PostgresReplicationOptions"
	if db == nil {
		return nil, errors.New("checks: PostgresReplication: db is nil")
	}
	if err := validateName(typ+".Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: PostgresReplication: %w", err)
	}
	if opts.Role < DetectRole || opts.Role > StandbyRole {
		return nil, fmt.Errorf("checks: PostgresReplication: %s.Role %d is not DetectRole, PrimaryRole or StandbyRole", typ, int(opts.Role))
	}
	if opts.MinStandbys < 0 {
		return nil, fmt.Errorf("checks: PostgresReplication: %s.MinStandbys %d is negative", typ, opts.MinStandbys)
	}
	limits, err := newLagLimits(typ, opts.DegradedLag, opts.UnavailableLag)
	if err != nil {
		return nil, fmt.Errorf("checks: PostgresReplication: %w", err)
	}
	p := pgReplication{
		label:       labelOr(opts.Name, "postgres"),
		role:        opts.Role,
		limits:      limits,
		minStandbys: int64(opts.MinStandbys),
	}
	return func(ctx context.Context) error {
		ctx, cancel, budget := bound(ctx)
		defer cancel()
		var s pgReplicationState
		err := db.QueryRowContext(ctx, pgReplicationQuery).Scan(&s.inRecovery, &s.paused, &s.receiver,
			&s.behind, &s.replayAge, &s.streaming, &s.hidden, &s.maxReplayLag)
		if err != nil {
			return failure(ctx, p.label, budget, err)
		}
		return p.judge(s)
	}, nil
}

// pgReplicationQuery reads everything both roles need in one round trip.
// The standby's functions raise an error on a primary, so they are asked only
// in recovery (CASE evaluates its branches lazily for volatile functions).
// The WAL receiver's status is NULL for a user without pg_read_all_stats,
// who still sees that a receiver runs: "hidden".
const pgReplicationQuery = `SELECT r.recovery,
  CASE WHEN r.recovery THEN pg_is_wal_replay_paused() END,
  CASE WHEN r.recovery THEN coalesce((SELECT coalesce(status, 'hidden') FROM pg_stat_wal_receiver), 'none') END,
  CASE WHEN r.recovery THEN coalesce(pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn(), false) END,
  CASE WHEN r.recovery THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END,
  (SELECT count(*) FROM pg_stat_replication s WHERE state = 'streaming' AND ` + pgPhysical + `),
  (SELECT count(*) FROM pg_stat_replication s WHERE state IS NULL AND ` + pgPhysical + `),
  (SELECT extract(epoch FROM max(replay_lag))::float8 FROM pg_stat_replication s WHERE ` + pgPhysical + `)
FROM (SELECT pg_is_in_recovery() AS recovery) r`

// pgPhysical keeps the rows of pg_stat_replication s that are standbys:
// a logical replication client (a subscription, a CDC consumer such as
// Debezium) has a walsender too, always on a logical slot, and is neither
// redundancy nor a standby whose lag the primary's readers feel.
// pg_replication_slots is readable without pg_monitor.
const pgPhysical = `NOT EXISTS (SELECT 1 FROM pg_replication_slots l
    WHERE l.slot_type = 'logical' AND l.active_pid = s.pid)`

// pgReplicationState is one reading of pgReplicationQuery.
type pgReplicationState struct {
	inRecovery   bool
	paused       sql.NullBool    // standby: replay paused (or pause requested)
	receiver     sql.NullString  // standby: WAL receiver status, "none" or "hidden"
	behind       sql.NullBool    // standby: received WAL not yet replayed
	replayAge    sql.NullFloat64 // standby: seconds since the last replayed commit
	streaming    int64           // standbys streaming from this server
	hidden       int64           // pg_stat_replication rows without details
	maxReplayLag sql.NullFloat64 // largest replay_lag in seconds
}

// pgReplication is a configured PostgresReplication check.
type pgReplication struct {
	label       string
	role        ReplicationRole
	limits      lagLimits
	minStandbys int64
}

// judge turns a reading into the check's result.
func (p pgReplication) judge(s pgReplicationState) error {
	switch {
	case s.inRecovery && p.role == PrimaryRole:
		return core.Unhealthy(p.label+": expected a primary, server is a standby", nil)
	case !s.inRecovery && p.role == StandbyRole:
		return core.Degraded(p.label+": expected a standby, server is a primary (promoted?)", nil)
	case s.inRecovery:
		return p.judgeStandby(s)
	}
	return p.judgePrimary(s)
}

// pgReceiverStates are the WAL receiver states (pg_stat_wal_receiver.status)
// that a reason may name; anything else is "unknown".
var pgReceiverStates = map[string]bool{
	"starting": true, "waiting": true, "restarting": true, "stopping": true, "stopped": true,
}

func (p pgReplication) judgeStandby(s pgReplicationState) error {
	prefix := p.label + " standby: "
	switch status := s.receiver.String; status {
	case "streaming", "hidden":
		// A hidden status is a running receiver; its state is not ours to
		// see. The lag below still tells whether it keeps up.
	case "none":
		return core.Unhealthy(prefix+"not streaming from the primary (no WAL receiver)", nil)
	default:
		if !pgReceiverStates[status] {
			status = "unknown"
		}
		return core.Unhealthy(prefix+"not streaming from the primary (WAL receiver "+status+")", nil)
	}
	paused := s.paused.Valid && s.paused.Bool
	if paused {
		prefix += "replay paused, "
	} else {
		prefix += "replay "
	}
	if !s.behind.Bool {
		if paused {
			return core.Degraded(prefix+"caught up", nil)
		}
		return nil
	}
	if !s.replayAge.Valid {
		return core.Degraded(prefix+"behind, lag unknown (no transaction replayed yet)", nil)
	}
	return p.limits.judge(prefix, seconds(s.replayAge.Float64), paused)
}

func (p pgReplication) judgePrimary(s pgReplicationState) error {
	prefix := p.label + " primary: "
	if s.hidden > 0 {
		return core.Unhealthy(prefix+"pg_stat_replication details hidden (grant pg_monitor to the check's user)", nil)
	}
	var lagErr error
	if s.maxReplayLag.Valid {
		lagErr = p.limits.judge(prefix+"standby replay ", seconds(s.maxReplayLag.Float64), false)
		var ce *core.CheckError
		if errors.As(lagErr, &ce) && !ce.Degraded {
			return lagErr
		}
	}
	if s.streaming < p.minStandbys {
		return core.Degraded(fmt.Sprintf("%s%s streaming (min %d)", prefix, plural(s.streaming, "standby", "standbys"), p.minStandbys), nil)
	}
	return lagErr
}

// seconds converts a lag in seconds, as the server computed it, to a
// Duration; a negative lag (clock skew) is none.
func seconds(s float64) time.Duration {
	switch {
	case math.IsNaN(s) || s <= 0:
		return 0
	case s >= math.MaxInt64/float64(time.Second):
		return math.MaxInt64
	}
	return time.Duration(s * float64(time.Second))
}
