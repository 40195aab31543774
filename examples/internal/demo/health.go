package demo

import (
	"fmt"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// Owner and RunbookBase are what the examples' checks name as their owner
// and the base of their runbook URLs.
const (
	Owner       = "team-shop"
	RunbookBase = "https://github.com/probekit/probekit/blob/main/docs/operations.md"
)

// Checks returns the checks every example registers, with the policy that
// fits each dependency. The Kubernetes manifests are tested against these
// values: every probe's timeout must exceed the longest check timeout it
// may wait for.
//
//   - sqlite (readiness, critical): the database answers. It runs in the
//     background every 2s, so a probe never waits for it.
//   - migrations (startup): the schema is in place. Until it is, /startupz
//     and /readyz answer 503 "starting" and the kubelet holds off the other
//     probes.
//   - redis (readiness, optional): a cache the service can live without.
//     When it is down the report is "degraded" and the pod stays ready.
//
// Each names its owner and a runbook (docs/operations.md), which reports,
// the log line of a status change and the alerts of deploy/monitoring
// (through probekit_check_info) carry to whoever is paged.
//
// There is no liveness check on purpose: a restart cannot fix a database or
// a cache, and /livez answering at all proves that the server is not stuck.
// The error names a bad setting.
func Checks(st *Store, cfg Config) ([]core.Check, error) {
	db, err := checks.SQL(st.DB(), checks.SQLOptions{Name: "sqlite"})
	if err != nil {
		return nil, fmt.Errorf("sqlite check: %w", err)
	}
	cache, err := checks.Redis(cfg.RedisAddr, checks.RedisOptions{})
	if err != nil {
		return nil, fmt.Errorf("redis check (REDIS_ADDR): %w", err)
	}
	return []core.Check{
		{
			Name:     "sqlite",
			Check:    db,
			Interval: 2 * time.Second,
			Timeout:  500 * time.Millisecond,
			Owner:    Owner,
			Runbook:  RunbookBase + "#what-each-answer-means",
			Hint:     "readiness fails while the database is unreachable: the pod leaves the load balancer",
		},
		{
			Name:    "migrations",
			Check:   st.Migrations().Check,
			Kinds:   core.Startup,
			Timeout: 100 * time.Millisecond,
			Owner:   Owner,
			Runbook: RunbookBase + "#schema-migrations-as-a-startup-gate",
		},
		{
			Name:     "redis",
			Check:    cache,
			Optional: true,
			Interval: 5 * time.Second,
			Timeout:  500 * time.Millisecond,
			Owner:    Owner,
			Runbook:  RunbookBase + "#degrade-instead-of-failing",
			Hint:     "optional: the shop serves without recommendations while the cache is down",
		},
	}, nil
}
