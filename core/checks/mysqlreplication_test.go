package checks_test

import (
	"database/sql/driver"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

// replicaStatus returns a SHOW SLAVE STATUS result: one row per map, with
// MariaDB's (old) column names unless a map names others; a missing column
// is NULL. A few columns the check ignores are there as in the real thing.
func replicaStatus(rows ...map[string]any) *scriptRows {
	cols := []string{"Slave_IO_State", "Master_Host", "Slave_IO_Running", "Slave_SQL_Running",
		"Last_IO_Errno", "Last_IO_Error", "Last_SQL_Errno", "Last_SQL_Error", "Seconds_Behind_Master"}
	for _, r := range rows {
		for c := range r {
			if !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
	}
	out := &scriptRows{cols: cols}
	for _, r := range rows {
		vals := make([]driver.Value, len(cols))
		for i, c := range cols {
			if v, ok := r[c]; ok {
				vals[i] = v
			}
		}
		out.rows = append(out.rows, vals)
	}
	return out
}

// running is a healthy MariaDB replica's row, lagging by behind seconds.
func running(behind string) map[string]any {
	return map[string]any{
		"Slave_IO_State": "Waiting for master to send event", "Master_Host": "db-primary.internal",
		"Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes",
		"Last_IO_Errno": "0", "Last_IO_Error": "", "Last_SQL_Errno": "0", "Last_SQL_Error": "",
		"Seconds_Behind_Master": behind,
	}
}

func with(row map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range row {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// mysql8 renames a row's columns as MySQL 8.0.22's SHOW REPLICA STATUS.
func mysql8(row map[string]any) map[string]any {
	r := strings.NewReplacer("Slave", "Replica", "Master", "Source")
	out := map[string]any{}
	for k, v := range row {
		out[r.Replace(k)] = v
	}
	return out
}

func TestMySQLReplication(t *testing.T) {
	t.Parallel()
	ioErr := "error connecting to master 'repl@db-primary.internal:3306' - retry-time: 60"
	tests := []struct {
		name     string
		opts     checks.MySQLReplicationOptions
		status   *scriptRows
		reason   string
		degraded bool
		errText  string // in the underlying error, never in the reason
	}{
		{name: "healthy", status: replicaStatus(running("0"))},
		{name: "MySQL 8 column names", status: replicaStatus(mysql8(running("0")))},
		{name: "lag degraded", status: replicaStatus(running("31")),
			reason: "mysql replica: lag 31s (degraded at 30s)", degraded: true},
		{name: "MySQL 8 lag", status: replicaStatus(mysql8(running("31"))),
			reason: "mysql replica: lag 31s (degraded at 30s)", degraded: true},
		{name: "lag unavailable", opts: checks.MySQLReplicationOptions{Name: "orders", UnavailableLag: time.Minute},
			status: replicaStatus(running("600")), reason: "orders replica: lag 10m0s (unavailable at 1m0s)"},
		{name: "lag unknown", status: replicaStatus(with(running(""), "Seconds_Behind_Master", nil)),
			reason: "mysql replica: lag unknown (Seconds_Behind_Master is NULL)"},
		{name: "IO thread connecting", status: replicaStatus(with(running(""), "Slave_IO_Running", "Connecting",
			"Seconds_Behind_Master", nil, "Last_IO_Errno", "2003", "Last_IO_Error", ioErr)),
			reason: "mysql replica: IO thread connecting (error 2003)", errText: "repl@db-primary.internal"},
		{name: "IO thread stopped", status: replicaStatus(with(running(""), "Slave_IO_Running", "No", "Seconds_Behind_Master", nil)),
			reason: "mysql replica: IO thread stopped"},
		{name: "IO thread preparing", status: replicaStatus(with(running(""), "Slave_IO_Running", "Preparing", "Seconds_Behind_Master", nil)),
			reason: "mysql replica: IO thread preparing"},
		{name: "IO thread state not echoed", status: replicaStatus(with(running("0"), "Slave_IO_Running", "\x1b[2J")),
			reason: "mysql replica: IO thread not running"},
		{name: "SQL thread stopped with error", status: replicaStatus(with(running(""), "Slave_SQL_Running", "No",
			"Seconds_Behind_Master", nil, "Last_SQL_Errno", "1062", "Last_SQL_Error", "Duplicate entry '7' for key 'PRIMARY'")),
			reason: "mysql replica: SQL thread stopped (error 1062)", errText: "Duplicate entry"},
		{name: "MySQL 8 SQL thread stopped", status: replicaStatus(mysql8(with(running(""), "Slave_SQL_Running", "No"))),
			reason: "mysql replica: SQL thread stopped"},
		{name: "not a replica", status: replicaStatus(), reason: "mysql: not a replica (replica status is empty)", degraded: true},
		{name: "channels: the stopped one wins", status: replicaStatus(
			mysql8(with(running("40"), "Channel_Name", "billing")),
			mysql8(with(running("0"), "Channel_Name", "orders", "Slave_SQL_Running", "No"))),
			reason: "mysql replica channel orders: SQL thread stopped"},
		{name: "channels: first degraded", status: replicaStatus(
			mysql8(with(running("0"), "Channel_Name", "billing")),
			mysql8(with(running("40"), "Channel_Name", "orders"))),
			reason: "mysql replica channel orders: lag 40s (degraded at 30s)", degraded: true},
		{name: "channel name not echoed", status: replicaStatus(mysql8(with(running("40"), "Channel_Name", "a b\x1b"))),
			reason: "mysql replica channel (unnamed): lag 40s (degraded at 30s)", degraded: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := &scriptDB{answer: func(string) (*scriptRows, error) {
				s := *tt.status
				return &s, nil
			}}
			check := must(t)(checks.MySQLReplication(db.open(t), tt.opts))
			ce := wantReason(t, call(check, 0), "", tt.reason)
			if ce == nil {
				return
			}
			if ce.Degraded != tt.degraded {
				t.Errorf("degraded = %v, want %v", ce.Degraded, tt.degraded)
			}
			if tt.errText != "" && (ce.Err == nil || !strings.Contains(ce.Err.Error(), tt.errText)) {
				t.Errorf("underlying error = %v, want it to keep %q", ce.Err, tt.errText)
			}
		})
	}
}

// A server that does not know SHOW REPLICA STATUS is asked SHOW SLAVE
// STATUS, first from then on.
func TestMySQLReplicationFallsBackToSlaveStatus(t *testing.T) {
	t.Parallel()
	db := &scriptDB{answer: func(q string) (*scriptRows, error) {
		if q == "SHOW REPLICA STATUS" {
			return nil, errors.New("Error 1064 (42000): You have an error in your SQL syntax")
		}
		return replicaStatus(running("0")), nil
	}}
	check := must(t)(checks.MySQLReplication(db.open(t), checks.MySQLReplicationOptions{}))
	for range 2 {
		if err := call(check, 0); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"SHOW REPLICA STATUS", "SHOW SLAVE STATUS", "SHOW SLAVE STATUS"}
	if got := db.received(); !slices.Equal(got, want) {
		t.Fatalf("queries = %q, want %q", got, want)
	}
}

func TestMySQLReplicationPermissionDenied(t *testing.T) {
	t.Parallel()
	db := &scriptDB{answer: func(string) (*scriptRows, error) {
		return nil, errors.New("Error 1227 (42000): Access denied; you need (at least one of) the REPLICA MONITOR privilege(s)")
	}}
	check := must(t)(checks.MySQLReplication(db.open(t), checks.MySQLReplicationOptions{Name: "replica-db"}))
	_ = wantReason(t, call(check, 0), "", "replica-db: permission denied")
}

func TestMySQLReplicationOptions(t *testing.T) {
	t.Parallel()
	db := (&scriptDB{}).open(t)
	tests := []struct {
		name  string
		opts  checks.MySQLReplicationOptions
		field string
	}{
		{"zero value", checks.MySQLReplicationOptions{}, ""},
		{"DSN as name", checks.MySQLReplicationOptions{Name: "root:pw@tcp(h)/x"}, "MySQLReplicationOptions.Name"},
		{"negative degraded", checks.MySQLReplicationOptions{DegradedLag: -time.Second}, "MySQLReplicationOptions.DegradedLag"},
		{"unavailable below degraded", checks.MySQLReplicationOptions{DegradedLag: time.Minute, UnavailableLag: time.Second},
			"MySQLReplicationOptions.UnavailableLag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := checks.MySQLReplication(db, tt.opts)
			wantFieldError(t, err, tt.field)
		})
	}
	if _, err := checks.MySQLReplication(nil, checks.MySQLReplicationOptions{}); err == nil {
		t.Error("nil db: no error")
	}
}

// MySQL 8.4 removed SHOW SLAVE STATUS: a user without the privilege gets
// "permission denied" for SHOW REPLICA STATUS and a syntax error for the
// fallback, and the reason must be the first, not the fallback's syntax
// error. A server older than SHOW REPLICA STATUS is the reverse.
func TestMySQLReplicationFallbackKeepsTheMeaningfulError(t *testing.T) {
	t.Parallel()
	const (
		denied = "Error 1227 (42000): Access denied; you need (at least one of) the REPLICATION CLIENT privilege(s)"
		syntax = "Error 1064 (42000): You have an error in your SQL syntax"
	)
	tests := []struct {
		name           string
		replica, slave string
	}{
		{"MySQL 8.4: old syntax gone", denied, syntax},
		{"old server: new syntax unknown", syntax, denied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := &scriptDB{answer: func(q string) (*scriptRows, error) {
				if q == "SHOW REPLICA STATUS" {
					return nil, errors.New(tt.replica)
				}
				return nil, errors.New(tt.slave)
			}}
			check := must(t)(checks.MySQLReplication(db.open(t), checks.MySQLReplicationOptions{}))
			for range 2 { // the second run asks in the order the first learned
				_ = wantReason(t, call(check, 0), "", "mysql: permission denied")
			}
		})
	}
}
