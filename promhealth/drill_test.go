package promhealth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// probekit_check_info carries each check's owner and runbook (empty when
// not set); probekit_check_drill and probekit_check_up follow a drill, the
// latter with the drill's status, so that the alerts fire as in an outage.
func TestCheckInfoAndDrillSeries(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	ok := func(context.Context) error { return nil }
	if err := h.Register(core.Check{Name: "db", Check: ok, Owner: "team-data", Runbook: "https://runbooks.example.com/db", Hint: "not a label"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Register(core.Check{Name: "cache", Optional: true, Check: ok}); err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, h, Options{})
	compare := func(want string) {
		t.Helper()
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), "probekit_check_info", "probekit_check_drill", "probekit_check_up"); err != nil {
			t.Error(err)
		}
	}
	const head = `
# HELP probekit_check_drill Whether an operator is drilling a health check (core.Registry.Drill): 1 while the check reports the drill's status instead of its own, 0 otherwise.
# TYPE probekit_check_drill gauge
# HELP probekit_check_info Always 1: the owner and runbook URL of a health check (core.Check Owner and Runbook, empty when not set), for alerts to join on: * on(job, instance, check) group_left(owner, runbook) probekit_check_info.
# TYPE probekit_check_info gauge
probekit_check_info{check="cache",owner="",runbook=""} 1
probekit_check_info{check="db",owner="team-data",runbook="https://runbooks.example.com/db"} 1
# HELP probekit_check_up Status of a health check after its thresholds, one series per probe it belongs to (kind: liveness, readiness, startup): 1 ok, 0.5 degraded (or an optional check failed), 0 failed. Absent until the check has run.
# TYPE probekit_check_up gauge
`
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	compare(head + `probekit_check_drill{check="cache"} 0
probekit_check_drill{check="db"} 0
probekit_check_up{check="cache",kind="readiness"} 1
probekit_check_up{check="db",kind="readiness"} 1
`)
	for _, name := range []string{"cache", "db"} {
		if err := h.Drill(name, core.DrillOptions{Status: core.StatusUnavailable, Duration: time.Hour, Actor: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	compare(head + `probekit_check_drill{check="cache"} 1
probekit_check_drill{check="db"} 1
probekit_check_up{check="cache",kind="readiness"} 0.5
probekit_check_up{check="db",kind="readiness"} 0
`)
	_, _ = h.EndDrill("db", "alice")
	_, _ = h.EndDrill("cache", "alice")
	compare(head + `probekit_check_drill{check="cache"} 0
probekit_check_drill{check="db"} 0
probekit_check_up{check="cache",kind="readiness"} 1
probekit_check_up{check="db",kind="readiness"} 1
`)
}

func TestBoundedLabel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"team", "team"},
		{"\xff", "\uFFFD"},
		{strings.Repeat("a", 300), strings.Repeat("a", 256)},
		{strings.Repeat("a", 255) + "é", strings.Repeat("a", 255)},
	} {
		if got := boundedLabel(tt.in); got != tt.want {
			t.Errorf("boundedLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A degraded drill on a check that really fails leaves probekit_check_up
// at 0, as core's reports do: a drill never hides a real failure, and the
// page for it must not downgrade to a warning.
func TestDegradedDrillKeepsRealFailure(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	fail := func(context.Context) error { return errors.New("connection refused") }
	if err := h.Register(core.Check{Name: "db", Check: fail}); err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, h, Options{})
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	if err := h.Drill("db", core.DrillOptions{Status: core.StatusDegraded, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = h.EndDrill("db", "alice") }()
	const want = `
# HELP probekit_check_up Status of a health check after its thresholds, one series per probe it belongs to (kind: liveness, readiness, startup): 1 ok, 0.5 degraded (or an optional check failed), 0 failed. Absent until the check has run.
# TYPE probekit_check_up gauge
probekit_check_up{check="db",kind="readiness"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "probekit_check_up"); err != nil {
		t.Error(err)
	}
}
