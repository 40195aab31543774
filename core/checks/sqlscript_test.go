package checks_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"sync"
	"testing"
)

// scriptDB is a database/sql connector that answers each query with the
// result its answer function gives: the checks that read server state are
// tested here for every state, and against real servers in integration.
type scriptDB struct {
	answer  func(query string) (*scriptRows, error)
	mu      sync.Mutex // guards queries
	queries []string
}

// open returns a *sql.DB on s, closed at cleanup.
func (s *scriptDB) open(t *testing.T) *sql.DB {
	t.Helper()
	db := sql.OpenDB(s)
	t.Cleanup(func() { db.Close() })
	return db
}

func (s *scriptDB) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

func (s *scriptDB) Connect(context.Context) (driver.Conn, error) { return scriptConn{s}, nil }
func (s *scriptDB) Driver() driver.Driver                        { return fakeDriver{} }

type scriptConn struct{ db *scriptDB }

func (c scriptConn) QueryContext(ctx context.Context, query string, _ []driver.NamedValue) (driver.Rows, error) {
	c.db.mu.Lock()
	c.db.queries = append(c.db.queries, query)
	c.db.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := c.db.answer(query)
	if err != nil {
		return nil, err
	}
	return &scriptRows{cols: r.cols, rows: r.rows}, nil
}

func (scriptConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (scriptConn) Close() error                        { return nil }
func (scriptConn) Begin() (driver.Tx, error)           { return nil, errors.New("not supported") }

// scriptRows is a result set; a nil value is NULL.
type scriptRows struct {
	cols []string
	rows [][]driver.Value
}

func (r *scriptRows) Columns() []string { return r.cols }
func (r *scriptRows) Close() error      { return nil }
func (r *scriptRows) Next(dest []driver.Value) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	copy(dest, r.rows[0])
	r.rows = r.rows[1:]
	return nil
}

// sqlStateError is a driver error with a SQLSTATE, as pgx's.
type sqlStateError struct{ code, msg string }

func (e *sqlStateError) Error() string    { return e.msg + " (SQLSTATE " + e.code + ")" }
func (e *sqlStateError) SQLState() string { return e.code }
