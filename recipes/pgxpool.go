package recipes

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/probekit/probekit/core"
)

// Pgxpool registers the readiness check of a pgx connection pool
// (github.com/jackc/pgx/v5/pgxpool): [pgxpool.Pool.Ping] acquires a pooled
// connection, dialing one if none is idle, and sends an empty statement, so
// it proves that PostgreSQL answers this service's pool, credentials and
// all. A saturated pool makes Ping wait for a connection, up to the
// Timeout: a pool too small for its load then fails readiness, which is
// the truth about that pod. pgx stops the round trip at the context's
// deadline, so the call never outlives the Timeout.
//
// The check is critical (not Optional): a service that cannot reach its
// database cannot serve. It runs in the background every five seconds, so
// that probes read its last result and never wait for the network.
// It returns Register's error.
func Pgxpool(h *core.Registry, pool *pgxpool.Pool) error {
	if err := h.Register(core.Check{
		Name:     "postgres",
		Check:    pool.Ping, // a pooled connection answers a round trip; a full pool waits, up to Timeout
		Timeout:  time.Second,
		Interval: 5 * time.Second, // probes read the last result
	}); err != nil {
		return err
	}
	return nil
}
