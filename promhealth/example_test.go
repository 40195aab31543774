package promhealth_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/promhealth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A registry's checks as Prometheus series: the collector is registered
// once; registering it again is an error, not a panic.
func Example() {
	h, _ := core.New(core.Options{Service: "orders", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer h.Close()
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }})

	c, err := promhealth.New(h, promhealth.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		fmt.Println(err)
		return
	}
	if err := reg.Register(c); err != nil {
		fmt.Println("second Register:", err)
	}

	_, _ = h.Evaluate(context.Background(), core.Readiness) // a probe runs the check
	err = testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP probekit_check_up Status of a health check after its thresholds, one series per probe it belongs to (kind: liveness, readiness, startup): 1 ok, 0.5 degraded (or an optional check failed), 0 failed. Absent until the check has run.
# TYPE probekit_check_up gauge
probekit_check_up{check="db",kind="readiness"} 1
`), "probekit_check_up")
	fmt.Println("compare:", err)
	// Output:
	// second Register: duplicate metrics collector registration attempted
	// compare: <nil>
}
