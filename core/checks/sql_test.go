package checks_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

// fakeDB is a database/sql connector whose connections ping and query as
// configured. It records the queries it receives.
type fakeDB struct {
	pingErr error      // returned by Ping and Query
	block   bool       // Ping and Query wait for their context
	mu      sync.Mutex // guards queries
	queries []string   // received queries
}

func (f *fakeDB) open(t *testing.T) *sql.DB {
	db := sql.OpenDB(f)
	t.Cleanup(func() { db.Close() })
	return db
}

func (f *fakeDB) Connect(context.Context) (driver.Conn, error) { return &fakeConn{db: f}, nil }
func (f *fakeDB) Driver() driver.Driver                        { return fakeDriver{} }

type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return nil, errors.New("use the connector") }

type fakeConn struct{ db *fakeDB }

func (c *fakeConn) Ping(ctx context.Context) error {
	if c.db.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return c.db.pingErr
}

func (c *fakeConn) QueryContext(ctx context.Context, query string, _ []driver.NamedValue) (driver.Rows, error) {
	c.db.mu.Lock()
	c.db.queries = append(c.db.queries, query)
	c.db.mu.Unlock()
	if err := c.Ping(ctx); err != nil {
		return nil, err
	}
	return &fakeRows{}, nil
}

func (c *fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (c *fakeConn) Close() error                        { return nil }
func (c *fakeConn) Begin() (driver.Tx, error)           { return nil, errors.New("not supported") }

// fakeRows is one row with the single column "1".
type fakeRows struct{ done bool }

func (r *fakeRows) Columns() []string { return []string{"1"} }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done, dest[0] = true, int64(1)
	return nil
}

func TestSQL(t *testing.T) {
	t.Parallel()
	const dsnLike = "postgres://app:s3cret-pw@db.internal/orders"
	tests := []struct {
		name    string
		db      *fakeDB
		opts    checks.SQLOptions
		timeout time.Duration
		want    string // "" means healthy
	}{
		{name: "ping", db: &fakeDB{}},
		{name: "query", db: &fakeDB{}, opts: checks.SQLOptions{Query: "SELECT 1"}},
		{name: "refused", db: &fakeDB{pingErr: fmt.Errorf("dial %s: %w", dsnLike, syscall.ECONNREFUSED)},
			opts: checks.SQLOptions{Name: "postgres"}, want: "postgres: connection refused"},
		{name: "bad connection", db: &fakeDB{pingErr: driver.ErrBadConn}, want: "sql: bad connection"},
		{name: "query fails", db: &fakeDB{pingErr: errors.New("relation does not exist")},
			opts: checks.SQLOptions{Query: "SELECT 1 FROM orders"}, want: "sql: failed"},
		{name: "hangs", db: &fakeDB{block: true}, timeout: 100 * time.Millisecond, want: "sql: timeout after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check := must(t)(checks.SQL(tt.db.open(t), tt.opts))
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			err := check(ctx)
			if q := tt.opts.Query; q != "" {
				tt.db.mu.Lock()
				got := tt.db.queries
				tt.db.mu.Unlock()
				if len(got) != 1 || got[0] != q {
					t.Errorf("queries = %q, want [%q]", got, q)
				}
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("check = %v, want healthy", err)
				}
				return
			}
			ce := mustFail(t, err)
			if !strings.HasPrefix(ce.Reason, tt.want) {
				t.Fatalf("reason = %q, want %q", ce.Reason, tt.want)
			}
			if strings.Contains(ce.Reason, "s3cret") || strings.Contains(ce.Reason, "db.internal") {
				t.Fatalf("reason %q shows the DSN", ce.Reason)
			}
		})
	}
}

func TestSQLPool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		maxOpen int
		inUse   int
		opts    checks.SQLPoolOptions
		want    string // "" means healthy
	}{
		{name: "idle", maxOpen: 10, inUse: 0},
		{name: "below default", maxOpen: 10, inUse: 8},
		{name: "at default", maxOpen: 10, inUse: 9, want: "sql pool: 9 of 10 connections in use"},
		{name: "full", maxOpen: 2, inUse: 2, opts: checks.SQLPoolOptions{Name: "orders-db"},
			want: "orders-db pool: 2 of 2 connections in use"},
		{name: "custom threshold", maxOpen: 4, inUse: 2, opts: checks.SQLPoolOptions{DegradedAt: 0.5},
			want: "sql pool: 2 of 4 connections in use"},
		{name: "unlimited", maxOpen: 0, inUse: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := (&fakeDB{}).open(t)
			db.SetMaxOpenConns(tt.maxOpen)
			for range tt.inUse {
				conn, err := db.Conn(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { conn.Close() })
			}
			err := must(t)(checks.SQLPool(db, tt.opts))(context.Background())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("check = %v, want healthy", err)
				}
				return
			}
			ce := mustFail(t, err)
			if ce.Reason != tt.want || !ce.Degraded {
				t.Fatalf("reason = %q, degraded = %v; want %q, degraded", ce.Reason, ce.Degraded, tt.want)
			}
		})
	}
}

func TestSQLOptionErrors(t *testing.T) {
	t.Parallel()
	if fn, err := checks.SQL(nil, checks.SQLOptions{}); err == nil || fn != nil {
		t.Errorf("SQL(nil) = %v, want an error", err)
	}
	if fn, err := checks.SQLPool(nil, checks.SQLPoolOptions{}); err == nil || fn != nil {
		t.Errorf("SQLPool(nil) = %v, want an error", err)
	}
	db := (&fakeDB{}).open(t)
	for _, at := range []float64{-0.1, 1.01, 2, math.NaN()} {
		fn, err := checks.SQLPool(db, checks.SQLPoolOptions{DegradedAt: at})
		if err == nil || fn != nil || !strings.Contains(err.Error(), "SQLPoolOptions.DegradedAt") {
			t.Errorf("SQLPool(DegradedAt %v) = %v, want an error naming the field", at, err)
		}
	}
}
