package recipes_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/recipes"
)

// secret is the password the failing cases put in a DSN or URL: it must
// appear in no reason, body or log line.
const secret = "probekit-recipes-s3cret"

func TestPgxpool(t *testing.T) {
	t.Parallel()
	dsn := serverSetting("PROBEKIT_POSTGRES_DSN")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("PROBEKIT_POSTGRES_DSN does not parse as a URL")
	}
	withPassword := func(host string) string {
		v := *u
		v.Host = host
		v.User = url.UserPassword(u.User.Username(), secret)
		return v.String()
	}
	t.Run("healthy", func(t *testing.T) {
		t.Parallel()
		reachable(t, "PROBEKIT_POSTGRES_DSN", u.Host)
		pool := newPool(t, dsn)
		probe(t, func(h *core.Registry) error { return recipes.Pgxpool(h, pool) }).healthy(t)
	})
	t.Run("refused, password in the DSN", func(t *testing.T) {
		t.Parallel()
		pool := newPool(t, withPassword(closedAddr(t)))
		probe(t, func(h *core.Registry) error { return recipes.Pgxpool(h, pool) }).failed(t, "connection refused", secret)
	})
	t.Run("closed pool", func(t *testing.T) {
		t.Parallel()
		reachable(t, "PROBEKIT_POSTGRES_DSN", u.Host)
		pool := newPool(t, withPassword(u.Host)) // trust: the password is not asked for
		pool.Close()
		probe(t, func(h *core.Registry) error { return recipes.Pgxpool(h, pool) }).failed(t, "failed", secret)
	})
}

// newPool returns a pool on dsn, closed at cleanup; it dials lazily.
func newPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
