package checks_test

import (
	"database/sql/driver"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

// pgState is one answer to PostgresReplication's query.
type pgState struct {
	recovery  bool
	paused    any // bool or nil
	receiver  any // string or nil
	behind    any // bool or nil
	replayAge any // float64 seconds or nil
	streaming int64
	hidden    int64
	maxLag    any // float64 seconds or nil
}

func (s pgState) db() *scriptDB {
	return &scriptDB{answer: func(string) (*scriptRows, error) {
		return &scriptRows{
			cols: []string{"recovery", "paused", "receiver", "behind", "age", "streaming", "hidden", "lag"},
			rows: [][]driver.Value{{s.recovery, s.paused, s.receiver, s.behind, s.replayAge, s.streaming, s.hidden, s.maxLag}},
		}, nil
	}}
}

// standby returns a streaming standby's state.
func standby(behind bool, age float64) pgState {
	return pgState{recovery: true, paused: false, receiver: "streaming", behind: behind, replayAge: age}
}

func TestPostgresReplication(t *testing.T) {
	t.Parallel()
	paused := func(s pgState) pgState { s.paused = true; return s }
	receiver := func(r any) pgState { s := standby(false, 1); s.receiver = r; return s }
	primary := func(streaming int64, lag any) pgState {
		return pgState{recovery: false, streaming: streaming, maxLag: lag}
	}
	tests := []struct {
		name     string
		opts     checks.PostgresReplicationOptions
		state    pgState
		reason   string // "" when healthy
		degraded bool
	}{
		// The primary is idle: the last replayed commit is an hour old,
		// but everything received is replayed.
		{name: "standby caught up, idle primary", state: standby(false, 3600)},
		{name: "standby behind, small lag", state: standby(true, 2)},
		{name: "standby behind, degraded", state: standby(true, 45),
			reason: "postgres standby: replay lag 45s (degraded at 30s)", degraded: true},
		{name: "standby behind, unavailable", opts: checks.PostgresReplicationOptions{UnavailableLag: time.Minute},
			state: standby(true, 61.25), reason: "postgres standby: replay lag 1m1.3s (unavailable at 1m0s)"},
		{name: "sub-second lag", opts: checks.PostgresReplicationOptions{DegradedLag: 100 * time.Millisecond},
			state: standby(true, 0.1234), reason: "postgres standby: replay lag 123ms (degraded at 100ms)", degraded: true},
		{name: "unavailable only sets degraded too", opts: checks.PostgresReplicationOptions{UnavailableLag: 10 * time.Second},
			state: standby(true, 10), reason: "postgres standby: replay lag 10s (unavailable at 10s)"},
		{name: "negative lag (clock skew) is none", state: standby(true, -5)},
		{name: "behind, no replay timestamp", state: pgState{recovery: true, paused: false, receiver: "streaming", behind: true},
			reason: "postgres standby: replay behind, lag unknown (no transaction replayed yet)", degraded: true},
		{name: "paused, caught up", state: paused(standby(false, 3600)),
			reason: "postgres standby: replay paused, caught up", degraded: true},
		{name: "paused, small lag", state: paused(standby(true, 2)),
			reason: "postgres standby: replay paused, lag 2s", degraded: true},
		{name: "paused, unavailable lag", opts: checks.PostgresReplicationOptions{UnavailableLag: time.Minute},
			state: paused(standby(true, 90)), reason: "postgres standby: replay paused, lag 1m30s (unavailable at 1m0s)"},
		{name: "no WAL receiver", state: receiver("none"),
			reason: "postgres standby: not streaming from the primary (no WAL receiver)"},
		{name: "WAL receiver waiting", state: receiver("waiting"),
			reason: "postgres standby: not streaming from the primary (WAL receiver waiting)"},
		{name: "unknown receiver status is not echoed", state: receiver("\x1b[31mevil"),
			reason: "postgres standby: not streaming from the primary (WAL receiver unknown)"},
		{name: "hidden receiver status", state: receiver("hidden")},
		{name: "standby expected primary", opts: checks.PostgresReplicationOptions{Role: checks.PrimaryRole},
			state: standby(false, 0), reason: "postgres: expected a primary, server is a standby"},
		{name: "standby expected standby", opts: checks.PostgresReplicationOptions{Role: checks.StandbyRole},
			state: standby(false, 0)},
		{name: "promoted", opts: checks.PostgresReplicationOptions{Role: checks.StandbyRole, Name: "orders-replica"},
			state: primary(0, nil), reason: "orders-replica: expected a standby, server is a primary (promoted?)", degraded: true},
		{name: "primary without standbys", state: primary(0, nil)},
		{name: "primary expected primary", opts: checks.PostgresReplicationOptions{Role: checks.PrimaryRole}, state: primary(1, 0.002)},
		{name: "primary, too few standbys", opts: checks.PostgresReplicationOptions{MinStandbys: 2},
			state: primary(1, nil), reason: "postgres primary: 1 standby streaming (min 2)", degraded: true},
		{name: "primary, no standby", opts: checks.PostgresReplicationOptions{MinStandbys: 1},
			state: primary(0, nil), reason: "postgres primary: 0 standbys streaming (min 1)", degraded: true},
		{name: "primary, enough standbys", opts: checks.PostgresReplicationOptions{MinStandbys: 2}, state: primary(3, 1.5)},
		{name: "primary, lagging standby", state: primary(1, 40.0),
			reason: "postgres primary: standby replay lag 40s (degraded at 30s)", degraded: true},
		{name: "primary, lag unavailable beats too few standbys",
			opts:  checks.PostgresReplicationOptions{MinStandbys: 2, UnavailableLag: time.Minute},
			state: primary(1, 70.0), reason: "postgres primary: standby replay lag 1m10s (unavailable at 1m0s)"},
		{name: "primary, too few standbys beats degraded lag",
			opts:  checks.PostgresReplicationOptions{MinStandbys: 2},
			state: primary(1, 40.0), reason: "postgres primary: 1 standby streaming (min 2)", degraded: true},
		{name: "primary, details hidden", state: pgState{streaming: 0, hidden: 1},
			reason: "postgres primary: pg_stat_replication details hidden (grant pg_monitor to the check's user)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check := must(t)(checks.PostgresReplication(tt.state.db().open(t), tt.opts))
			ce := wantReason(t, call(check, 0), "", tt.reason)
			if ce != nil && ce.Degraded != tt.degraded {
				t.Errorf("degraded = %v, want %v", ce.Degraded, tt.degraded)
			}
		})
	}
}

func TestPostgresReplicationQueryError(t *testing.T) {
	t.Parallel()
	db := &scriptDB{answer: func(string) (*scriptRows, error) {
		return nil, &sqlStateError{code: "42883", msg: "function pg_last_wal_receive_lsn() does not exist"}
	}}
	check := must(t)(checks.PostgresReplication(db.open(t), checks.PostgresReplicationOptions{Name: "pg"}))
	ce := mustFail(t, call(check, 0))
	if !strings.HasPrefix(ce.Reason, "pg: ") || strings.Contains(ce.Reason, "pg_last") {
		t.Fatalf("reason = %q, want the label and a classification, not the driver's text", ce.Reason)
	}
}

func TestPostgresReplicationOptions(t *testing.T) {
	t.Parallel()
	db := pgState{}.db().open(t)
	tests := []struct {
		name  string
		opts  checks.PostgresReplicationOptions
		field string // named in the error; "" when valid
	}{
		{"zero value", checks.PostgresReplicationOptions{}, ""},
		{"only unavailable, below the default degraded", checks.PostgresReplicationOptions{UnavailableLag: time.Second}, ""},
		{"DSN as name", checks.PostgresReplicationOptions{Name: "postgres://u:p@h/db"}, "PostgresReplicationOptions.Name"},
		{"negative degraded", checks.PostgresReplicationOptions{DegradedLag: -1}, "PostgresReplicationOptions.DegradedLag"},
		{"negative unavailable", checks.PostgresReplicationOptions{UnavailableLag: -1}, "PostgresReplicationOptions.UnavailableLag"},
		{"unavailable below degraded", checks.PostgresReplicationOptions{DegradedLag: time.Minute, UnavailableLag: time.Second},
			"PostgresReplicationOptions.UnavailableLag"},
		{"negative min standbys", checks.PostgresReplicationOptions{MinStandbys: -1}, "PostgresReplicationOptions.MinStandbys"},
		{"unknown role", checks.PostgresReplicationOptions{Role: 7}, "PostgresReplicationOptions.Role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := checks.PostgresReplication(db, tt.opts)
			wantFieldError(t, err, tt.field)
		})
	}
	if _, err := checks.PostgresReplication(nil, checks.PostgresReplicationOptions{}); err == nil {
		t.Error("nil db: no error")
	}
}

// wantFieldError asserts that err is nil when field is "", else an error
// that names field.
func wantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	switch {
	case field == "" && err != nil:
		t.Fatalf("error = %v, want none", err)
	case field != "" && err == nil:
		t.Fatalf("no error, want one naming %s", field)
	case field != "" && !strings.Contains(err.Error(), field):
		t.Fatalf("error = %v, want it to name %s", err, field)
	}
}

func TestReplicationRoleString(t *testing.T) {
	t.Parallel()
	for r, want := range map[checks.ReplicationRole]string{
		checks.DetectRole: "detect", checks.PrimaryRole: "primary", checks.StandbyRole: "standby", 9: "ReplicationRole(9)",
	} {
		if got := r.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(r), got, want)
		}
	}
}
