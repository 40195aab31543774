package grpchealth_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/grpchealth"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// StartShutdown from an HTTP preStop handler stops the gRPC server of the
// same registry in the one sequence: Watch sees NOT_SERVING, the RPCs in
// flight complete, both Serves return nil, and the hooks run once, after
// the gRPC listener has closed.
func TestPreStopStopsGRPC(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{DrainTimeout: time.Minute})
	var grpcOpenAtHook atomic.Bool
	var hooks atomic.Int32
	addr := e.ln.Addr().String()
	_ = e.h.OnShutdown("count", func(context.Context) error {
		hooks.Add(1)
		if c, err := net.Dial("tcp", addr); err == nil {
			grpcOpenAtHook.Store(true)
			_ = c.Close()
		}
		return nil
	})
	e.h.MarkStarted()
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", e.h.Handler())
	mux.HandleFunc("/prestop", func(w http.ResponseWriter, r *http.Request) { _ = e.h.StartShutdown() })
	httpDone := make(chan error, 1)
	go func() {
		httpDone <- e.h.Serve(context.Background(), &http.Server{Handler: e.h.Drain(mux), ReadHeaderTimeout: time.Second}, httpLn)
	}()
	grpcDone := make(chan error, 1)
	go func() { grpcDone <- grpchealth.Serve(context.Background(), e.g, e.ln, e.hs) }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := e.health.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, w, serving)
	results := e.inFlight(t, 1, 1)
	res, err := http.Get("http://" + httpLn.Addr().String() + "/prestop")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	expect(t, w, notServing)
	close(e.b.release)
	for range 2 {
		if r := <-results; r.err != nil {
			t.Errorf("rpc: %v", r.err)
		}
	}
	for name, done := range map[string]chan error{"HTTP": httpDone, "gRPC": grpcDone} {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s Serve: %v", name, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s Serve did not return", name)
		}
	}
	if hooks.Load() != 1 || grpcOpenAtHook.Load() {
		t.Errorf("hooks ran %d times, gRPC listener open at the hook: %v; want 1, false", hooks.Load(), grpcOpenAtHook.Load())
	}
}

// A Watch on a service nobody knows yet stays open and turns SERVING once
// a check of that name is registered and has run (here a synchronous check
// run by a Check RPC).
func TestWatchCheckRegisteredLater(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{})
	e.serve(t)
	e.h.MarkStarted()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := e.health.Watch(ctx, &healthpb.HealthCheckRequest{Service: "db"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, w, unknown)
	register(t, e.h, core.Check{Name: "db", Check: ok})
	if _, err := e.health.Check(ctx, &healthpb.HealthCheckRequest{Service: "db"}); err != nil {
		t.Fatal(err)
	}
	expect(t, w, serving)
}

// An RPC whose handler ignores its context holds neither GracefulStop nor
// Serve for good: Serve returns shortly after the drain timeout with the
// graceful stop reported as timed out and the RPC abandoned.
func TestServeStubbornHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{DrainTimeout: 100 * time.Millisecond})
	hold := make(chan struct{})
	entered := make(chan struct{}, 1)
	desc := grpc.ServiceDesc{ServiceName: "probekit.test.Stubborn", HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Wait", Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.Int64Value)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, req any) (any, error) { entered <- struct{}{}; <-hold; return req, nil }
			return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/probekit.test.Stubborn/Wait"}, h)
		}}}}
	e.g.RegisterService(&desc, struct{}{})
	e.h.MarkStarted()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- grpchealth.Serve(ctx, e.g, e.ln, e.hs) }()
	rpc := make(chan error, 1)
	go func() {
		rpc <- e.cc.Invoke(context.Background(), "/probekit.test.Stubborn/Wait", wrapperspb.Int64(1), new(wrapperspb.Int64Value))
	}()
	<-entered
	cancel()
	var err error
	select {
	case err = <-served:
	case <-time.After(10 * time.Second):
		t.Error("Serve did not return")
	}
	var dte *core.DrainTimeoutError
	if !errors.As(err, &dte) || !dte.StopTimedOut || dte.Abandoned != 1 {
		t.Errorf("Serve = %v, want a *core.DrainTimeoutError with StopTimedOut and 1 abandoned", err)
	}
	close(hold)
	if err := <-rpc; err == nil {
		t.Error("the abandoned RPC succeeded")
	}
}
