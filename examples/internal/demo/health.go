package demo

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/probekit/probekit/core"
)

// Checks returns the checks every example registers, with the policy that
// fits each dependency. The Kubernetes manifests are tested against these
// values: every probe's timeout must exceed the longest check timeout.
//
//   - sqlite (readiness, critical): the database answers. It runs in the
//     background every 2s, so a probe never waits for it.
//   - migrations (startup): the schema is in place. Until it is, /startupz
//     and /readyz answer 503 "starting" and the kubelet holds off liveness.
//   - redis (readiness, optional): a cache the service can live without.
//     When it is down the report is "degraded" and the pod stays ready.
func Checks(st *Store, cfg Config) []core.Check {
	return []core.Check{
		{
			Name:     "sqlite",
			Check:    sqlPing(st.DB()),
			Interval: 2 * time.Second,
			Timeout:  500 * time.Millisecond,
		},
		{
			Name:    "migrations",
			Kinds:   core.Startup,
			Check:   migrated(st),
			Timeout: 100 * time.Millisecond,
		},
		{
			Name:     "redis",
			Check:    redisPing(cfg.RedisAddr),
			Optional: true,
			Interval: 5 * time.Second,
			Timeout:  500 * time.Millisecond,
		},
	}
}

// sqlPing checks that db answers a round trip.
func sqlPing(db *sql.DB) core.CheckFunc {
	return func(ctx context.Context) error {
		if err := db.PingContext(ctx); err != nil {
			return core.Unhealthy("sqlite: "+core.Reason(err), err)
		}
		return nil
	}
}

// migrated reports the store's migrations: running, failed or done.
func migrated(st *Store) core.CheckFunc {
	return func(context.Context) error {
		switch err := st.Migrated(); {
		case err == nil:
			return nil
		case errors.Is(err, ErrMigrating):
			return core.Unhealthy("migrations running", nil)
		default:
			return core.Unhealthy("migrations failed", err)
		}
	}
}
