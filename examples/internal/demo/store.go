package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite": no C toolchain, no server

	"github.com/probekit/probekit/core/checks"
)

// Store is the examples' database: SQLite on a temporary file, created empty
// and brought to its schema by migrations that run in the background, so that
// the service has a real startup phase to report.
//
// The migration goroutine is owned by the Store: Close cancels it and waits
// for it before closing the database.
type Store struct {
	db  *sql.DB
	dir string

	migrations *checks.Flag // done when every migration has run
	errMu      sync.Mutex   // guards migErr
	migErr     error

	cancel    context.CancelFunc
	done      chan struct{} // closed when the migration goroutine returns
	closeOnce sync.Once
	closeErr  error
}

// ErrNotFound is returned by Store.Order for an id that does not exist.
var ErrNotFound = errors.New("order not found")

// ErrMigrating is returned by Store.Order while the migrations run.
var ErrMigrating = errors.New("migrations still running")

// Order is one row of the orders table.
type Order struct {
	ID         int64  `json:"id"`
	Customer   string `json:"customer"`
	Item       string `json:"item"`
	Quantity   int    `json:"quantity"`
	TotalCents int64  `json:"total_cents"`
	Status     string `json:"status"`
}

// migrations bring an empty database to the current schema, in order.
var migrations = []string{
	`CREATE TABLE orders (
		id          INTEGER PRIMARY KEY,
		customer    TEXT    NOT NULL,
		item        TEXT    NOT NULL,
		quantity    INTEGER NOT NULL CHECK (quantity > 0),
		total_cents INTEGER NOT NULL CHECK (total_cents >= 0)
	)`,
	`INSERT INTO orders (id, customer, item, quantity, total_cents) VALUES
		(1, 'Ada Lovelace',     'Analytical engine gears', 12,  4788),
		(2, 'Grace Hopper',     'Nanosecond wire',         100, 1500),
		(3, 'Alan Turing',      'Paper tape, 1 km',        3,   2997),
		(4, 'Edsger Dijkstra',  'Semaphore flags',         2,   1850),
		(5, 'Barbara Liskov',   'Substitution kit',        1,   9900)`,
	`ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'placed'`,
	`UPDATE orders SET status = 'shipped' WHERE id IN (1, 3)`,
}

// OpenStore creates a database in a new temporary directory and starts the
// migrations in the background; they take at least migrationDelay, spread
// over the steps, as a large schema change would. If one fails, onFail is
// called with the error (from the migration goroutine). Close stops them
// and deletes the directory.
func OpenStore(migrationDelay time.Duration, onFail func(error)) (*Store, error) {
	dir, err := os.MkdirTemp("", "probekit-example-")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// One connection: SQLite serializes writers anyway, and a single
	// connection keeps the busy-timeout dance out of an example.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "orders.db")+"?_pragma=busy_timeout(2000)")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("store: open: %w", err)
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{
		db:         db,
		dir:        dir,
		migrations: checks.NewFlag("still running"),
		cancel:     cancel,
		done:       make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.migrate(ctx, migrationDelay); err != nil {
			s.setErr(err)
			onFail(err)
		}
	}()
	return s, nil
}

// Migrations returns the startup gate that opens when the migrations are
// done. A failed migration leaves it closed: the startup probe keeps
// failing and the kubelet restarts the container.
func (s *Store) Migrations() *checks.Flag { return s.migrations }

// DB returns the database, for health checks.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) migrate(ctx context.Context, delay time.Duration) error {
	step := delay / time.Duration(len(migrations))
	for i, m := range migrations {
		if err := sleep(ctx, step); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := s.db.ExecContext(ctx, m); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	s.migrations.Done()
	return nil
}

func (s *Store) setErr(err error) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	s.migErr = err
}

// Migrated returns nil once every migration has run, ErrMigrating while they
// run, and the error that stopped them if one did.
func (s *Store) Migrated() error {
	if s.migrations.IsDone() {
		return nil
	}
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.migErr != nil {
		return s.migErr
	}
	return ErrMigrating
}

// Order returns the order with the given id: ErrNotFound if there is none,
// ErrMigrating before the schema is ready.
func (s *Store) Order(ctx context.Context, id int64) (Order, error) {
	if err := s.Migrated(); err != nil {
		return Order{}, err
	}
	var o Order
	err := s.db.QueryRowContext(ctx,
		`SELECT id, customer, item, quantity, total_cents, status FROM orders WHERE id = ?`, id,
	).Scan(&o.ID, &o.Customer, &o.Item, &o.Quantity, &o.TotalCents, &o.Status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Order{}, ErrNotFound
	case err != nil:
		return Order{}, fmt.Errorf("store: order %d: %w", id, err)
	}
	return o, nil
}

// Close stops the migrations, closes the database and removes its
// directory. It is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.done
		s.closeErr = errors.Join(s.db.Close(), os.RemoveAll(s.dir))
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("store: close: %w", s.closeErr)
		}
	})
	return s.closeErr
}

// sleep waits d or until ctx ends, whichever is first, and returns ctx's
// error in the second case.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
