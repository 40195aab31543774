package grpchealth_test

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

const (
	serving    = healthpb.HealthCheckResponse_SERVING
	notServing = healthpb.HealthCheckResponse_NOT_SERVING
	unknown    = healthpb.HealthCheckResponse_SERVICE_UNKNOWN
)

// Check answers every service name as the HTTP probe of the same thing
// does, and NOT_FOUND for an unknown one; grpc-go's own health client
// calls it over TCP loopback.
func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     core.Options
		optional error // the optional check's error
		want     map[string]healthpb.HealthCheckResponse_ServingStatus
	}{
		{
			name: "healthy",
			want: map[string]healthpb.HealthCheckResponse_ServingStatus{
				"": serving, "readiness": serving, "liveness": serving, "startup": serving,
				"db": serving, "cache": serving, "loop": serving, "nope": unknown,
			},
		},
		{
			name:     "degraded is serving",
			optional: errors.New("cold"),
			want: map[string]healthpb.HealthCheckResponse_ServingStatus{
				"": serving, "readiness": serving, "cache": notServing,
			},
		},
		{
			name:     "degraded is not serving with DegradedUnavailable",
			opts:     core.Options{DegradedUnavailable: true},
			optional: errors.New("cold"),
			want: map[string]healthpb.HealthCheckResponse_ServingStatus{
				"": notServing, "readiness": notServing, "liveness": serving, "cache": notServing,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.opts)
			register(t, e.h, core.Check{Name: "db", Kinds: core.Readiness | core.Startup, Check: ok})
			register(t, e.h, core.Check{Name: "cache", Optional: true, Check: func(context.Context) error { return tt.optional }})
			register(t, e.h, core.Check{Name: "loop", Kinds: core.Liveness, Check: ok})
			e.serve(t)
			ctx := context.Background()
			for service, want := range tt.want {
				resp, err := e.health.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
				if want == unknown {
					if status.Code(err) != codes.NotFound {
						t.Errorf("Check(%q) = %v, %v; want NOT_FOUND", service, resp, err)
					}
					continue
				}
				if err != nil || resp.GetStatus() != want {
					t.Errorf("Check(%q) = %v, %v; want %v", service, resp.GetStatus(), err, want)
				}
			}
		})
	}
}

// List names the four probe services and every check.
func TestList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{})
	register(t, e.h, core.Check{Name: "db", Check: ok})
	register(t, e.h, core.Check{Name: "disk", Kinds: core.Liveness, Check: func(context.Context) error { return errors.New("full") }})
	e.serve(t)
	resp, err := e.health.List(context.Background(), &healthpb.HealthListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]healthpb.HealthCheckResponse_ServingStatus{
		"": serving, "readiness": serving, "startup": serving, "liveness": notServing,
		"db": serving, "disk": notServing,
	}
	got := resp.GetStatuses()
	if len(got) != len(want) {
		t.Errorf("List has %d services, want %d: %v", len(got), len(want), got)
	}
	for name, st := range want {
		if got[name].GetStatus() != st {
			t.Errorf("List[%q] = %v, want %v", name, got[name].GetStatus(), st)
		}
	}
}

// Watch sends the current status first, then each change pushed by the
// registry's events: a background check failing and recovering, and the
// drain, which turns readiness NOT_SERVING while liveness stays SERVING.
// Closing the server ends the streams with OK.
func TestWatch(t *testing.T) {
	t.Parallel()
	// The propagation delay outlasts the test (its context cuts it short):
	// NOT_SERVING must come from the drain itself, not from the server
	// stopping.
	e := newEnv(t, core.Options{PropagationDelay: time.Hour})
	var failing atomic.Bool
	flip := make(chan struct{})
	// Each run waits for a flip, for as long as it takes: a run that timed
	// out would be a change the test did not make.
	register(t, e.h, core.Check{Name: "db", Interval: time.Millisecond, Timeout: time.Hour, Check: func(ctx context.Context) error {
		select { // one run per flip, so that the test decides when results change
		case <-flip:
		case <-ctx.Done():
			return ctx.Err()
		}
		if failing.Load() {
			return errors.New("down")
		}
		return nil
	}})
	if err := e.h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.serve(t)
	// A Watch that misses a change fails at this deadline instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	watch := func(service string) healthpb.Health_WatchClient {
		t.Helper()
		w, err := e.health.Watch(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	overall, live, db, nope := watch(""), watch("liveness"), watch("db"), watch("nope")
	// Before the first run: not ready (the check has not run), alive.
	expect(t, overall, notServing)
	expect(t, live, serving)
	expect(t, db, notServing)
	expect(t, nope, unknown)

	flip <- struct{}{} // first run passes: ready
	expect(t, overall, serving)
	expect(t, db, serving)
	failing.Store(true)
	flip <- struct{}{}
	expect(t, overall, notServing)
	expect(t, db, notServing)
	failing.Store(false)
	flip <- struct{}{}
	expect(t, overall, serving)
	expect(t, db, serving)

	// Draining: readiness NOT_SERVING at once, within the propagation
	// delay.
	shutCtx, endDelay := context.WithCancel(context.Background())
	defer endDelay()
	shut := make(chan error, 1)
	go func() { shut <- e.h.Shutdown(shutCtx, nil) }()
	expect(t, overall, notServing)
	if st, _ := e.h.Stored(core.Readiness, ""); e.h.StatusCode(st) != 503 {
		t.Errorf("/readyz while draining would answer %d", e.h.StatusCode(st))
	}
	e.hs.Close()
	for _, w := range []healthpb.Health_WatchClient{overall, live, db, nope} {
		if resp, err := w.Recv(); !errors.Is(err, io.EOF) {
			t.Errorf("Watch after Close: %v, %v; want the stream to end cleanly", resp, err)
		}
	}
	endDelay()
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// A watcher that stops reading never blocks the registry: the newest status
// replaces a stale one, and the stream sends the newest when it can.
func TestWatchSlowClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{})
	register(t, e.h, core.Check{Name: "db", Check: ok})
	e.h.MarkStarted()
	stream := &stuckStream{ctx: context.Background(), sent: make(chan *healthpb.HealthCheckResponse, 100), unblock: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- e.hs.Watch(&healthpb.HealthCheckRequest{Service: "db"}, stream) }()
	// The first Send (current status) blocks until unblock.
	// Many changes meanwhile: none may wait for the stuck stream.
	for i := range 100 {
		to := "ok"
		if i%2 == 0 {
			to = "unavailable"
		}
		e.h.Notify(core.Transition{Component: "check", Name: "db", From: "x", To: to})
	}
	_, _ = e.h.Evaluate(context.Background(), core.Readiness) // db runs: ok
	close(stream.unblock)
	e.hs.Close()
	if err := <-done; err != nil {
		t.Fatalf("Watch: %v", err)
	}
	close(stream.sent)
	var last healthpb.HealthCheckResponse_ServingStatus = -1
	n := 0
	for r := range stream.sent {
		last = r.GetStatus()
		n++
	}
	if last != serving {
		t.Errorf("last status sent = %v, want SERVING (the current one)", last)
	}
	if n > 3 {
		t.Errorf("slow watcher got %d messages, want stale ones dropped", n)
	}
}

// stuckStream is a Watch stream whose Send blocks until unblock is closed.
type stuckStream struct {
	healthpb.Health_WatchServer
	ctx     context.Context
	sent    chan *healthpb.HealthCheckResponse
	unblock chan struct{}
}

func (s *stuckStream) Context() context.Context { return s.ctx }

func (s *stuckStream) Send(r *healthpb.HealthCheckResponse) error {
	<-s.unblock
	s.sent <- r
	return nil
}

func expect(t *testing.T, w healthpb.Health_WatchClient, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	resp, err := w.Recv()
	if err != nil || resp.GetStatus() != want {
		t.Fatalf("Watch: %v, %v; want %v", resp.GetStatus(), err, want)
	}
}

func ok(context.Context) error { return nil }

func register(t *testing.T, h *core.Registry, c core.Check) {
	t.Helper()
	if err := h.Register(c); err != nil {
		t.Fatal(err)
	}
}
