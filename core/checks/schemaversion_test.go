package checks_test

import (
	"database/sql/driver"
	"strings"
	"testing"

	"github.com/probekit/probekit/core/checks"
)

// The decisions, on each tool's rows; the queries themselves run against
// real PostgreSQL and MariaDB in integration.
func TestSchemaVersion(t *testing.T) {
	t.Parallel()
	migrate := func(version int64, dirty bool) *scriptRows {
		return &scriptRows{cols: []string{"version", "dirty"}, rows: [][]driver.Value{{version, dirty}}}
	}
	goose := func(max any) *scriptRows {
		return &scriptRows{cols: []string{"max"}, rows: [][]driver.Value{{max}}}
	}
	atlas := func(rows ...[]driver.Value) *scriptRows {
		return &scriptRows{cols: []string{"version", "applied", "total", "error"}, rows: rows}
	}
	tests := []struct {
		name     string
		opts     checks.SchemaVersionOptions
		rows     *scriptRows
		reason   string
		degraded bool
	}{
		{name: "migrate at version", rows: migrate(42, false)},
		{name: "migrate older", rows: migrate(41, false), reason: "schema at 41, binary expects 42"},
		{name: "migrate dirty older", rows: migrate(41, true), reason: "schema at 41 (dirty), binary expects 42"},
		{name: "migrate dirty at version", rows: migrate(42, true), reason: "schema at 42 (dirty), binary expects 42"},
		{name: "migrate newer degrades", rows: migrate(43, false), reason: "schema at 43, binary expects 42", degraded: true},
		{name: "migrate newer ok", opts: checks.SchemaVersionOptions{Newer: checks.NewerOK}, rows: migrate(43, false)},
		{name: "migrate newer unavailable", opts: checks.SchemaVersionOptions{Newer: checks.NewerUnavailable, Name: "orders-db"},
			rows: migrate(43, false), reason: "orders-db schema at 43, binary expects 42"},
		{name: "migrate newer dirty degrades", rows: migrate(43, true),
			reason: "schema at 43 (dirty), binary expects 42", degraded: true},
		{name: "migrate newer dirty degrades even when newer is ok", opts: checks.SchemaVersionOptions{Newer: checks.NewerOK},
			rows: migrate(43, true), reason: "schema at 43 (dirty), binary expects 42", degraded: true},
		{name: "migrate newer dirty unavailable", opts: checks.SchemaVersionOptions{Newer: checks.NewerUnavailable},
			rows: migrate(43, true), reason: "schema at 43 (dirty), binary expects 42"},
		{name: "migrate empty table", rows: &scriptRows{cols: []string{"version", "dirty"}},
			reason: "schema has no migrations applied, binary expects 42"},
		{name: "goose at version", opts: checks.SchemaVersionOptions{Tool: checks.Goose}, rows: goose(int64(42))},
		{name: "goose only version 0", opts: checks.SchemaVersionOptions{Tool: checks.Goose}, rows: goose(int64(0)),
			reason: "schema at 0, binary expects 42"},
		{name: "goose empty", opts: checks.SchemaVersionOptions{Tool: checks.Goose}, rows: goose(nil),
			reason: "schema has no migrations applied, binary expects 42"},
		{name: "atlas at version", opts: checks.SchemaVersionOptions{Tool: checks.Atlas},
			rows: atlas([]driver.Value{"9", int64(1), int64(1), ""}, []driver.Value{"42", int64(3), int64(3), ""}, []driver.Value{"10", int64(2), int64(2), ""})},
		{name: "atlas partly applied", opts: checks.SchemaVersionOptions{Tool: checks.Atlas},
			rows:   atlas([]driver.Value{"41", int64(1), int64(1), ""}, []driver.Value{"42", int64(1), int64(3), "Error 1050"}),
			reason: "schema at 42 (dirty), binary expects 42"},
		{name: "atlas failed older revision does not count", opts: checks.SchemaVersionOptions{Tool: checks.Atlas},
			rows: atlas([]driver.Value{"41", int64(1), int64(2), "x"}, []driver.Value{"42", int64(3), int64(3), ""})},
		{name: "atlas empty", opts: checks.SchemaVersionOptions{Tool: checks.Atlas}, rows: atlas(),
			reason: "schema has no migrations applied, binary expects 42"},
		{name: "atlas version not a number", opts: checks.SchemaVersionOptions{Tool: checks.Atlas},
			rows: atlas([]driver.Value{"v1\x1b", int64(1), int64(1), ""}), reason: "schema: version is not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := &scriptDB{answer: func(string) (*scriptRows, error) { r := *tt.rows; return &r, nil }}
			check := must(t)(checks.SchemaVersion(db.open(t), 42, tt.opts))
			ce := wantReason(t, call(check, 0), "", tt.reason)
			if ce != nil && ce.Degraded != tt.degraded {
				t.Errorf("degraded = %v, want %v", ce.Degraded, tt.degraded)
			}
		})
	}
}

// Each tool reads its own table, or the one configured.
func TestSchemaVersionTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opts  checks.SchemaVersionOptions
		table string
	}{
		{checks.SchemaVersionOptions{}, "FROM schema_migrations "},
		{checks.SchemaVersionOptions{Tool: checks.Goose}, "FROM goose_db_version g "},
		{checks.SchemaVersionOptions{Tool: checks.Atlas}, "FROM atlas_schema_revisions"},
		{checks.SchemaVersionOptions{Table: "app.migrations"}, "FROM app.migrations "},
	}
	for _, tt := range tests {
		db := &scriptDB{answer: func(string) (*scriptRows, error) {
			return nil, &sqlStateError{code: "42P01", msg: "relation does not exist"}
		}}
		check := must(t)(checks.SchemaVersion(db.open(t), 1, tt.opts))
		ce := mustFail(t, call(check, 0))
		if q := db.received(); len(q) != 1 || !strings.Contains(q[0], tt.table) {
			t.Errorf("%v: query = %q, want it to read %q", tt.opts.Tool, q, tt.table)
		}
		table := strings.Fields(tt.table)[1]
		if want := "schema: table " + table + " not found (migrations never ran, or another table or database)"; ce.Reason != want {
			t.Errorf("reason = %q, want %q", ce.Reason, want)
		}
	}
}

func TestSchemaVersionOptions(t *testing.T) {
	t.Parallel()
	db := (&scriptDB{}).open(t)
	tests := []struct {
		name  string
		want  int64
		opts  checks.SchemaVersionOptions
		field string
	}{
		{"zero value", 1, checks.SchemaVersionOptions{}, ""},
		{"qualified table", 1, checks.SchemaVersionOptions{Table: "billing.Schema_Migrations_2"}, ""},
		{"zero want", 0, checks.SchemaVersionOptions{}, "want"},
		{"negative want", -1, checks.SchemaVersionOptions{}, "want"},
		{"unknown tool", 1, checks.SchemaVersionOptions{Tool: 9}, "SchemaVersionOptions.Tool"},
		{"unknown newer", 1, checks.SchemaVersionOptions{Newer: -1}, "SchemaVersionOptions.Newer"},
		{"DSN as name", 1, checks.SchemaVersionOptions{Name: "user=app password=x"}, "SchemaVersionOptions.Name"},
		{"injection", 1, checks.SchemaVersionOptions{Table: "t; DROP TABLE users"}, "SchemaVersionOptions.Table"},
		{"quoted", 1, checks.SchemaVersionOptions{Table: `"t"`}, "SchemaVersionOptions.Table"},
		{"comment", 1, checks.SchemaVersionOptions{Table: "t--"}, "SchemaVersionOptions.Table"},
		{"three parts", 1, checks.SchemaVersionOptions{Table: "a.b.c"}, "SchemaVersionOptions.Table"},
		{"empty part", 1, checks.SchemaVersionOptions{Table: "a."}, "SchemaVersionOptions.Table"},
		{"leading digit", 1, checks.SchemaVersionOptions{Table: "1t"}, "SchemaVersionOptions.Table"},
		{"too long", 1, checks.SchemaVersionOptions{Table: strings.Repeat("t", 65)}, "SchemaVersionOptions.Table"},
		{"non-ASCII", 1, checks.SchemaVersionOptions{Table: "tablé"}, "SchemaVersionOptions.Table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := checks.SchemaVersion(db, tt.want, tt.opts)
			wantFieldError(t, err, tt.field)
		})
	}
	if _, err := checks.SchemaVersion(nil, 1, checks.SchemaVersionOptions{}); err == nil {
		t.Error("nil db: no error")
	}
}

func TestMigrationToolString(t *testing.T) {
	t.Parallel()
	for tool, want := range map[checks.MigrationTool]string{
		checks.GolangMigrate: "golang-migrate", checks.Goose: "goose", checks.Atlas: "atlas", 5: "MigrationTool(5)",
	} {
		if got := tool.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
