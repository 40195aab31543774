package checks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/probekit/probekit/core"
)

// MigrationTool is the migration tool whose bookkeeping table
// [SchemaVersion] reads.
type MigrationTool int

const (
	// GolangMigrate is github.com/golang-migrate/migrate, the default: one
	// row (version bigint, dirty boolean) in "schema_migrations" (its
	// x-migrations-table option).
	GolangMigrate MigrationTool = iota
	// Goose is github.com/pressly/goose: rows (id, version_id, is_applied,
	// tstamp) in "goose_db_version" (goose.SetTableName). A version is
	// applied when its latest row (highest id) says is_applied: goose before
	// v3.16 records a rollback as a new row with is_applied false, later
	// versions delete the row. The current version is the highest applied
	// one; goose has no dirty state.
	Goose
	// Atlas is ariga.io/atlas versioned migrations: rows (version,
	// applied, total, error, ...) in "atlas_schema_revisions". The current
	// version is the highest (versions must be numbers, as Atlas's
	// timestamps are); it is dirty when that revision applied fewer
	// statements than it has (applied < total) or recorded an error. Atlas
	// keeps the table in the schema "atlas_schema_revisions" when its URL
	// names no schema: set Table to "atlas_schema_revisions.atlas_schema_revisions"
	// then.
	Atlas
)

// String returns "golang-migrate", "goose" or "atlas".
func (t MigrationTool) String() string {
	switch t {
	case GolangMigrate:
		return "golang-migrate"
	case Goose:
		return "goose"
	case Atlas:
		return "atlas"
	}
	return fmt.Sprintf("MigrationTool(%d)", int(t))
}

// defaultTable is the tool's own default table name.
func (t MigrationTool) defaultTable() string {
	switch t {
	case Goose:
		return "goose_db_version"
	case Atlas:
		return "atlas_schema_revisions"
	}
	return "schema_migrations"
}

// NewerSchema says how [SchemaVersion] reports a schema newer than the
// binary expects.
type NewerSchema int

const (
	// NewerDegraded reports a newer schema as degraded, and is the default: the
	// pod stays in rotation and the probe shows the mismatch. During a
	// rolling deploy the pods of the old version see the new schema until
	// they are replaced, and a binary rolled back after a migration sees it
	// until the schema is migrated down; failing either would take serving
	// pods out of rotation.
	NewerDegraded NewerSchema = iota
	// NewerOK accepts a newer schema silently.
	NewerOK
	// NewerUnavailable fails on a newer schema, for binaries that cannot
	// work with a schema they do not know (migrations that are not
	// backward compatible).
	NewerUnavailable
)

// SchemaVersionOptions configures [SchemaVersion]. The zero value reads
// golang-migrate's schema_migrations and reports a newer schema as degraded.
type SchemaVersionOptions struct {
	// Name labels the database in reasons: "orders-db schema at 41,
	// binary expects 42". Default: none, "schema at 41, ...". Validated
	// as SQLOptions.Name.
	Name string

	// Tool is the migration tool that keeps the table. Default:
	// GolangMigrate.
	Tool MigrationTool

	// Table is the tool's table, when it is not the tool's default
	// (golang-migrate's x-migrations-table, goose's SetTableName), possibly
	// schema-qualified: "app.schema_migrations". Only plain identifiers
	// ([A-Za-z_][A-Za-z0-9_]*, at most 64 bytes each, one optional
	// qualifier) are accepted, and they are used unquoted: PostgreSQL
	// folds them to lower case, so a table created with a quoted
	// mixed-case name is not found. Anything else is an error.
	Table string

	// Newer says how a schema newer than expected is reported. Default:
	// NewerDegraded.
	Newer NewerSchema
}

// SchemaVersion returns a check that the schema of the database db
// connects to is at version want, the version of the newest migration the
// binary ships, by reading the table the migration tool keeps. It is a
// startup gate: register it with Kinds: core.Startup (and core.Readiness to
// keep watching) so that a pod whose schema is not migrated never gets
// traffic.
//
//   - at want and clean: healthy;
//   - older, or dirty (golang-migrate's dirty flag, a partly applied Atlas
//     revision) at or below want: unavailable, "schema at 41 (dirty),
//     binary expects 42";
//   - newer: per SchemaVersionOptions.Newer, degraded by default, "schema at
//     43, binary expects 42"; newer and dirty (the next release's migration
//     failed half-way) is degraded even with NewerOK, so that a failed
//     migration shows but does not take the serving pods out of rotation;
//   - no migration recorded: unavailable, "schema has no migrations
//     applied, binary expects 42";
//   - no such table: unavailable, "schema: table schema_migrations not
//     found (migrations never ran, or another table or database)".
//
// The check runs one query; the versions are the only data it shows.
// SchemaVersion returns an error if db is nil, want is not positive or an
// option is invalid; the error names the argument or field.
func SchemaVersion(db *sql.DB, want int64, opts SchemaVersionOptions) (core.CheckFunc, error) {
	const typ = "SchemaVersionOptions"
	if db == nil {
		return nil, errors.New("checks: SchemaVersion: db is nil")
	}
	if want <= 0 {
		return nil, fmt.Errorf("checks: SchemaVersion: want %d is not positive", want)
	}
	if err := validateName(typ+".Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: SchemaVersion: %w", err)
	}
	if opts.Tool < GolangMigrate || opts.Tool > Atlas {
		return nil, fmt.Errorf("checks: SchemaVersion: %s.Tool %d is not GolangMigrate, Goose or Atlas", typ, int(opts.Tool))
	}
	if opts.Newer < NewerDegraded || opts.Newer > NewerUnavailable {
		return nil, fmt.Errorf("checks: SchemaVersion: %s.Newer %d is not NewerDegraded, NewerOK or NewerUnavailable", typ, int(opts.Newer))
	}
	table := opts.Table
	if table == "" {
		table = opts.Tool.defaultTable()
	} else if err := validateTable(table); err != nil {
		return nil, fmt.Errorf("checks: SchemaVersion: %s.Table: %w", typ, err)
	}
	s := schemaVersion{
		label: "schema",
		table: table,
		want:  want,
		newer: opts.Newer,
		read:  readers[opts.Tool],
		query: fmt.Sprintf(queries[opts.Tool], table),
	}
	if opts.Name != "" {
		s.label = opts.Name + " schema"
	}
	return func(ctx context.Context) error {
		ctx, cancel, budget := bound(ctx)
		defer cancel()
		v, err := s.read(ctx, db, s.query)
		if err != nil {
			if describe(ctx, budget, err) == "undefined table" {
				return core.Unhealthy(s.label+": table "+s.table+" not found (migrations never ran, or another table or database)", sanitize(err))
			}
			var nv errNotNumeric
			if errors.As(err, &nv) {
				return core.Unhealthy(s.label+": version is not a number", err)
			}
			return failure(ctx, s.label, budget, err)
		}
		return s.judge(v)
	}, nil
}

// schemaState is the version a migration table records.
type schemaState struct {
	version int64
	none    bool // no migration recorded
	dirty   bool
}

// schemaVersion is a configured SchemaVersion check.
type schemaVersion struct {
	label, table string
	want         int64
	newer        NewerSchema
	read         func(ctx context.Context, db *sql.DB, query string) (schemaState, error)
	query        string
}

func (s schemaVersion) judge(v schemaState) error {
	expects := ", binary expects " + strconv.FormatInt(s.want, 10)
	at := s.label + " at " + strconv.FormatInt(v.version, 10)
	if v.dirty {
		at += " (dirty)"
	}
	switch {
	case v.none:
		return core.Unhealthy(s.label+" has no migrations applied"+expects, nil)
	case v.version <= s.want && v.dirty, v.version < s.want:
		return core.Unhealthy(at+expects, nil)
	case v.version == s.want:
		return nil
	}
	// Newer. A migration beyond the binary's that failed half-way is
	// the next release's problem: it stays visible (degraded), but does not
	// take the pods of this release, which are serving, out of rotation.
	switch {
	case s.newer == NewerUnavailable:
		return core.Unhealthy(at+expects, nil)
	case s.newer == NewerOK && !v.dirty:
		return nil
	}
	return core.Degraded(at+expects, nil)
}

// queries are each tool's query, with the table for %s.
var queries = [...]string{
	GolangMigrate: "SELECT version, dirty FROM %s LIMIT 1",
	// The latest row of each version says whether it is applied.
	Goose: "SELECT max(g.version_id) FROM %[1]s g WHERE g.is_applied AND g.id = " +
		"(SELECT max(h.id) FROM %[1]s h WHERE h.version_id = g.version_id)",
	// Versions are strings; their order as numbers is found here.
	Atlas: "SELECT version, applied, total, coalesce(error, '') FROM %s",
}

var readers = [...]func(ctx context.Context, db *sql.DB, query string) (schemaState, error){
	GolangMigrate: readGolangMigrate,
	Goose:         readGoose,
	Atlas:         readAtlas,
}

func readGolangMigrate(ctx context.Context, db *sql.DB, query string) (schemaState, error) {
	var s schemaState
	err := db.QueryRowContext(ctx, query).Scan(&s.version, &s.dirty)
	if errors.Is(err, sql.ErrNoRows) {
		return schemaState{none: true}, nil
	}
	return s, err
}

func readGoose(ctx context.Context, db *sql.DB, query string) (schemaState, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, query).Scan(&v); err != nil {
		return schemaState{}, err
	}
	return schemaState{version: v.Int64, none: !v.Valid}, nil
}

func readAtlas(ctx context.Context, db *sql.DB, query string) (schemaState, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return schemaState{}, err
	}
	defer rows.Close()
	s := schemaState{none: true}
	for rows.Next() {
		var (
			version         string
			applied, total  int64
			revisionFailure string
		)
		if err := rows.Scan(&version, &applied, &total, &revisionFailure); err != nil {
			return schemaState{}, err
		}
		n, err := strconv.ParseInt(strings.TrimSpace(version), 10, 64)
		if err != nil {
			return schemaState{}, errNotNumeric{version: version}
		}
		if s.none || n > s.version {
			s = schemaState{version: n, dirty: applied < total || revisionFailure != ""}
		}
	}
	return s, rows.Err()
}

// errNotNumeric is a migration version that is not a number.
type errNotNumeric struct{ version string }

func (e errNotNumeric) Error() string {
	return "migration version " + quote(e.version, 64) + " is not a number"
}

// validateTable accepts a plain identifier, optionally qualified by
// another: table or schema.table.
func validateTable(table string) error {
	parts := strings.Split(table, ".")
	if len(parts) > 2 {
		return errors.New("more than one '.': want table or schema.table")
	}
	for _, p := range parts {
		if p == "" || len(p) > 64 || '0' <= p[0] && p[0] <= '9' {
			return errors.New("not a plain identifier ([A-Za-z_][A-Za-z0-9_]*, at most 64 bytes, optionally schema.table)")
		}
		for i := range len(p) {
			if !isIdentByte(p[i]) {
				return errors.New("not a plain identifier ([A-Za-z_][A-Za-z0-9_]*, at most 64 bytes, optionally schema.table)")
			}
		}
	}
	return nil
}
