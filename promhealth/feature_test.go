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

// The feature series follow the features: enabled from the checks they
// follow, forced while an operator forces them.
func TestFeatureSeries(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	db := &switchable{}
	if err := h.Register(core.Check{Name: "db", Check: db.check}); err != nil {
		t.Fatal(err)
	}
	recs, err := h.Feature(core.FeatureOptions{Name: "recs", Checks: []string{"db"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Feature(core.FeatureOptions{Name: "uploads", Checks: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, h, Options{})
	compare := func(want string) {
		t.Helper()
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), "probekit_feature_enabled", "probekit_feature_forced"); err != nil {
			t.Error(err)
		}
	}
	const head = `
# HELP probekit_feature_enabled Whether a feature (core.Feature) is usable now: 1 on, 0 off, because a check it follows failed or an operator forced it off.
# TYPE probekit_feature_enabled gauge
# HELP probekit_feature_forced Whether an operator has forced a feature on or off for a bounded time: 1 forced, 0 following its checks.
# TYPE probekit_feature_forced gauge
`
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	compare(head + `probekit_feature_enabled{feature="recs"} 1
probekit_feature_enabled{feature="uploads"} 1
probekit_feature_forced{feature="recs"} 0
probekit_feature_forced{feature="uploads"} 0
`)
	db.set(errors.New("down"))
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	if err := recs.Force(core.ForceOptions{On: true, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	compare(head + `probekit_feature_enabled{feature="recs"} 1
probekit_feature_enabled{feature="uploads"} 0
probekit_feature_forced{feature="recs"} 1
probekit_feature_forced{feature="uploads"} 0
`)
}
