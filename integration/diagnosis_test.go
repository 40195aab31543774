package integration_test

import (
	"context"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// failureCase is a real SQL failure and how a probe and a log line must
// tell it from the others.
type failureCase struct {
	name   string
	dsn    string // with a password that must never be shown
	query  string
	reason string // the probe's message
	inLog  string // a part of the driver's error that the log line keeps
}

// A failed login, a missing database and a missing table give distinct
// reasons in the probe, and the log line of each transition carries the
// driver's own error with its secrets removed.
func TestDiagnosableSQLFailures(t *testing.T) {
	t.Parallel()
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		base, err := url.Parse(postgres.dsn(t))
		if err != nil {
			t.Fatal("PROBEKIT_POSTGRES_DSN does not parse as a URL")
		}
		secret := randomSecret(t)
		with := func(user, db string) string {
			u := *base
			u.User = url.UserPassword(user, secret)
			u.Path = "/" + db
			return u.String()
		}
		user, db := base.User.Username(), strings.TrimPrefix(base.Path, "/")
		// The server trusts loopback connections, so no password can be
		// wrong: a role that does not exist is the login it refuses
		// (SQLSTATE 28000, class 28 like a wrong password's 28P01).
		assertDiagnosable(t, secret, []failureCase{
			{name: "unknown role", dsn: with("probekit_no_such_role", db),
				reason: "postgres: authentication failed", inLog: `role "probekit_no_such_role" does not exist (SQLSTATE 28000)`},
			{name: "missing database", dsn: with(user, "probekit_no_such_db"),
				reason: "postgres: database does not exist", inLog: `database "probekit_no_such_db" does not exist (SQLSTATE 3D000)`},
			{name: "missing table", dsn: with(user, db), query: "SELECT 1 FROM probekit_no_such_table",
				reason: "postgres: undefined table", inLog: `relation "probekit_no_such_table" does not exist (SQLSTATE 42P01)`},
		})
	})
	t.Run("mariadb", func(t *testing.T) {
		t.Parallel()
		dsn := mariadb.dsn(t)
		base, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		// A user of our own, with a password, to fail to log in as.
		user, right, secret := "probekit_diag", randomSecret(t), randomSecret(t)
		root := mariadb.open(t, dsn)
		ctx := context.Background()
		if _, err := root.ExecContext(ctx, "CREATE OR REPLACE USER '"+user+"'@'%' IDENTIFIED BY '"+right+"'"); err != nil {
			t.Fatalf("create user: %v", err)
		}
		t.Cleanup(func() { _, _ = root.ExecContext(context.Background(), "DROP USER IF EXISTS '"+user+"'@'%'") })
		with := func(user, password, db string) string {
			c := base.Clone()
			c.User, c.Passwd, c.DBName = user, password, db
			return c.FormatDSN()
		}
		assertDiagnosable(t, secret, []failureCase{
			{name: "wrong password", dsn: with(user, secret, base.DBName),
				reason: "mariadb: authentication failed", inLog: "Error 1045 (28000): Access denied for user '" + user + "'"},
			{name: "missing database", dsn: with(base.User, base.Passwd, "probekit_no_such_db"),
				reason: "mariadb: database does not exist", inLog: "Error 1049 (42000): Unknown database 'probekit_no_such_db'"},
			{name: "missing table", dsn: with(base.User, base.Passwd, base.DBName), query: "SELECT 1 FROM probekit_no_such_table",
				reason: "mariadb: undefined table", inLog: "Error 1146 (42S02): Table '" + base.DBName + ".probekit_no_such_table' doesn't exist"},
		})
	})
}

var errorAttr = regexp.MustCompile(`error="((?:[^"\\]|\\.)*)"`)

// assertDiagnosable runs each case as a check and compares what the probe
// and the log say; secret must appear in neither.
func assertDiagnosable(t *testing.T, secret string, cases []failureCase) {
	t.Helper()
	seen := map[string]string{}
	for _, c := range cases {
		d := postgres
		if strings.HasPrefix(c.reason, "mariadb") {
			d = mariadb
		}
		db := d.open(t, c.dsn)
		name := strings.SplitN(c.reason, ":", 2)[0]
		check := must(t)(checks.SQL(db, checks.SQLOptions{Name: name, Query: c.query}))
		var logs strings.Builder
		h := newRegistry(t, core.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err := h.Register(core.Check{Name: "db", Check: check, Timeout: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		res := evaluate(t, h)
		if res.Message != c.reason {
			t.Errorf("%s: probe says %q, want %q", c.name, res.Message, c.reason)
		}
		var line string
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, "component=check") && strings.Contains(l, "to=unavailable") {
				line = l
			}
		}
		m := errorAttr.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("%s: no log line of the failure with an error:\n%s", c.name, logs.String())
			continue
		}
		logged := strings.ReplaceAll(m[1], `\"`, `"`)
		if !strings.Contains(logged, c.inLog) {
			t.Errorf("%s: the log says %q, want it to hold %q", c.name, logged, c.inLog)
		}
		if strings.Contains(logs.String(), secret) || strings.Contains(res.Message, secret) {
			t.Errorf("%s: the password leaks:\n%s", c.name, logs.String())
		}
		if other, dup := seen[logged]; dup {
			t.Errorf("%s and %s log the same error %q", c.name, other, logged)
		}
		seen[logged] = c.name
		t.Logf("%s: probe %q; log %s", c.name, res.Message, strings.TrimSpace(line))
	}
}
