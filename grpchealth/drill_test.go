package grpchealth_test

import (
	"context"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// A drill reaches Watch: NOT_SERVING while it lasts, SERVING after.
func TestWatchDrill(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{})
	register(t, e.h, core.Check{Name: "db", Interval: time.Hour, Check: func(context.Context) error { return nil }})
	if err := e.h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	overall, err := e.health.Watch(ctx, &healthpb.HealthCheckRequest{Service: "db"})
	if err != nil {
		t.Fatal(err)
	}
	expectEventually(t, overall, serving)
	if err := e.h.Drill("db", core.DrillOptions{Status: core.StatusUnavailable, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	expect(t, overall, notServing)
	if _, err := e.h.EndDrill("db", "alice"); err != nil {
		t.Fatal(err)
	}
	expect(t, overall, serving)
}

// expectEventually reads w until it says want: before the background
// check's first run, the stream may say NOT_SERVING first.
func expectEventually(t *testing.T, w healthpb.Health_WatchClient, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	for {
		resp, err := w.Recv()
		if err != nil {
			t.Fatalf("Watch: %v, want %v", err, want)
		}
		if resp.GetStatus() == want {
			return
		}
	}
}
