package connecthealth_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/probekit/probekit/connecthealth"
	"github.com/probekit/probekit/core"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const serviceUnknown = grpchealth.Status(healthpb.HealthCheckResponse_SERVICE_UNKNOWN)

// Every client (connect's in its three protocols, grpc-go's) gets the same
// answer for every service, and it agrees with the HTTP probe of the same
// thing.
func TestCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{Service: "orders"})
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("down") }
	for _, c := range []core.Check{
		{Name: "db", Check: ok},
		{Name: "cache", Check: down, Optional: true}, // degraded: still serving
		{Name: "worker", Check: down, Kinds: core.Liveness},
		{Name: "gate", Check: ok, Kinds: core.Startup},
		{Name: "both", Check: down, Kinds: core.Liveness | core.Readiness},
	} {
		if err := e.h.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	e.h.MarkStarted()
	e.serve(t)
	tests := []struct {
		service string
		want    grpchealth.Status
		http    string // the HTTP probe of the same thing
	}{
		{"", grpchealth.StatusNotServing, "/readyz"}, // "both" is a critical readiness check
		{"readiness", grpchealth.StatusNotServing, "/readyz"},
		{"liveness", grpchealth.StatusNotServing, "/livez"},
		{"startup", grpchealth.StatusServing, "/startupz"},
		{"db", grpchealth.StatusServing, "/readyz/db"},
		{"cache", grpchealth.StatusNotServing, "/readyz/cache"}, // one check: by its own status
		{"worker", grpchealth.StatusNotServing, "/livez/worker"},
		{"gate", grpchealth.StatusServing, "/startupz/gate"},
		{"both", grpchealth.StatusNotServing, "/readyz/both"}, // reported as readiness
		{"nope", 0, "/readyz/nope"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, cl := range e.clients() {
		for _, tt := range tests {
			got, err := cl.check(ctx, tt.service)
			code := e.get(t, tt.http)
			if tt.want == 0 {
				if connect.CodeOf(err) != connect.CodeNotFound || code != 404 {
					t.Errorf("%s %q: %v, %v (HTTP %d); want NotFound (HTTP 404)", cl.name, tt.service, got, err, code)
				}
				continue
			}
			if err != nil || got != tt.want || (code == 200) != (got == grpchealth.StatusServing) {
				t.Errorf("%s %q: %v, %v (HTTP %s %d); want %v", cl.name, tt.service, got, err, tt.http, code, tt.want)
			}
		}
	}
}

// Options.DegradedUnavailable turns degraded into NOT_SERVING, as it turns
// /readyz into 503.
func TestCheckDegradedUnavailable(t *testing.T) {
	t.Parallel()
	for _, strict := range []bool{false, true} {
		e := newEnv(t, core.Options{DegradedUnavailable: strict})
		if err := e.h.Register(core.Check{Name: "cache", Check: func(context.Context) error { return errors.New("down") }, Optional: true}); err != nil {
			t.Fatal(err)
		}
		e.h.MarkStarted()
		res, err := e.c.Check(context.Background(), &grpchealth.CheckRequest{})
		want := grpchealth.StatusServing
		if strict {
			want = grpchealth.StatusNotServing
		}
		if err != nil || res.Status != want {
			t.Errorf("DegradedUnavailable %v: %v, %v; want %v", strict, res, err, want)
		}
	}
}

// A nil registry is an error, not a panic.
func TestNewNil(t *testing.T) {
	t.Parallel()
	if c, err := connecthealth.New(nil); err == nil || c != nil {
		t.Errorf("New(nil) = %v, %v; want an error", c, err)
	}
}

// watchStream is one Watch through some client: each Recv is the next
// status, io.EOF once the stream ended with OK.
type watchStream struct {
	name string
	recv func() (grpchealth.Status, error)
}

func (e *env) watches(ctx context.Context, t *testing.T, service string) []watchStream {
	t.Helper()
	var out []watchStream
	for _, p := range []struct {
		name string
		hc   connect.HTTPClient
		opts []connect.ClientOption
	}{
		{"connect/grpc", e.h2c, []connect.ClientOption{connect.WithGRPC()}},
		{"connect/connect", e.h1, nil},
	} {
		events := grpchealth.NewClient(p.hc, e.url, p.opts...).Watch(ctx, &grpchealth.CheckRequest{Service: service})
		out = append(out, watchStream{p.name, func() (grpchealth.Status, error) {
			ev, ok := <-events
			switch {
			case !ok:
				return 0, io.EOF
			case ev.Err != nil:
				return 0, ev.Err
			}
			return ev.Response.Status, nil
		}})
	}
	g, err := healthpb.NewHealthClient(e.grpc).Watch(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, watchStream{"grpc-go", func() (grpchealth.Status, error) {
		res, err := g.Recv()
		if err != nil {
			return 0, err
		}
		return grpchealth.Status(res.GetStatus()), nil
	}})
	return out
}

func expect(t *testing.T, ws []watchStream, want grpchealth.Status) {
	t.Helper()
	for _, w := range ws {
		got, err := w.recv()
		if err != nil || got != want {
			t.Fatalf("%s: %v, %v; want %v", w.name, got, err, want)
		}
	}
}

func expectEnd(t *testing.T, ws []watchStream) {
	t.Helper()
	for _, w := range ws {
		if got, err := w.recv(); !errors.Is(err, io.EOF) {
			t.Errorf("%s: %v, %v; want the end of the stream (OK)", w.name, got, err)
		}
	}
}

// Watch sends the current status, then each change the registry reports; a
// service nobody knows is SERVICE_UNKNOWN and the stream stays open until
// a check of that name appears.
func TestWatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{})
	db := &toggle{}
	if err := e.h.Register(core.Check{Name: "db", Check: db.check}); err != nil {
		t.Fatal(err)
	}
	e.h.MarkStarted()
	e.serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	probe := func() { // runs the synchronous check, as a kubelet's probe would
		if _, err := e.c.Check(ctx, &grpchealth.CheckRequest{Service: "db"}); err != nil {
			t.Fatal(err)
		}
	}
	probe()
	db1, overall, later := e.watches(ctx, t, "db"), e.watches(ctx, t, ""), e.watches(ctx, t, "later")
	expect(t, db1, grpchealth.StatusServing)
	expect(t, overall, grpchealth.StatusServing)
	expect(t, later, serviceUnknown)

	db.bad.Store(true)
	probe()
	expect(t, db1, grpchealth.StatusNotServing)
	expect(t, overall, grpchealth.StatusNotServing)

	db.bad.Store(false)
	probe()
	expect(t, db1, grpchealth.StatusServing)
	expect(t, overall, grpchealth.StatusServing)

	if err := e.h.Register(core.Check{Name: "later", Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Check(ctx, &grpchealth.CheckRequest{Service: "later"}); err != nil {
		t.Fatal(err)
	}
	expect(t, later, grpchealth.StatusServing)

	// Close ends every stream, OK; a Watch after it sends the status and ends.
	e.c.Close()
	expectEnd(t, db1)
	expectEnd(t, overall)
	expectEnd(t, later)
	after := e.watches(ctx, t, "db")
	expect(t, after, grpchealth.StatusServing)
	expectEnd(t, after)
}

// A Watch called directly (grpchealth.NewHandler(c) without c.Handler, or
// a caller of its own) gets onChange on every change; an onChange that
// panics takes nothing down, and stop ends the calls.
func TestWatchDirect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{})
	db := &toggle{}
	if err := e.h.Register(core.Check{Name: "db", Check: db.check}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	calls := make(chan struct{}, 16)
	stopPanicky, err := e.c.Watch(ctx, &grpchealth.CheckRequest{Service: "db"}, func() { panic("onChange") })
	if err != nil {
		t.Fatal(err)
	}
	defer stopPanicky()
	stop, err := e.c.Watch(ctx, &grpchealth.CheckRequest{Service: "unknown"}, func() { calls <- struct{}{} })
	if err != nil {
		t.Fatalf("Watch of an unknown service: %v; want no error (SERVICE_UNKNOWN, stream open)", err)
	}
	db.bad.Store(true)
	if _, err := e.c.Check(ctx, &grpchealth.CheckRequest{Service: "db"}); err != nil { // runs db: a transition
		t.Fatal(err)
	}
	<-calls
	stop()
	for len(calls) > 0 { // a delivery under way when stop was called may still arrive, once
		<-calls
	}
	db.bad.Store(false)
	if _, err := e.c.Check(ctx, &grpchealth.CheckRequest{Service: "db"}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 0 {
		t.Error("onChange called after stop")
	}
}
