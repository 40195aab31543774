package grpchealth_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/grpchealth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// started waits for n RPCs to reach their handlers.
func (b *blocker) started(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-b.entered:
		case <-time.After(20 * time.Second):
			t.Fatal("RPC did not reach its handler in 20s")
		}
	}
}

// rpcResult is the outcome of one RPC held in flight.
type rpcResult struct {
	got []int64
	err error
}

// inFlight starts unary and streaming RPCs and returns where their results
// arrive; it returns once every one is in its handler.
func (e *env) inFlight(t *testing.T, unary, streams int) <-chan rpcResult {
	t.Helper()
	results := make(chan rpcResult, unary+streams)
	for i := range unary {
		go func() { // ends with the RPC
			v, err := wait(context.Background(), e.cc, int64(i))
			results <- rpcResult{got: []int64{v}, err: err}
		}()
	}
	for i := range streams {
		go func() { // ends with the stream
			var r rpcResult
			defer func() { results <- r }()
			s, err := e.cc.NewStream(context.Background(), &blockerDesc.Streams[0], "/probekit.test.Blocker/Stream")
			if err != nil {
				r.err = err
				return
			}
			if r.err = s.SendMsg(wrapperspb.Int64(int64(100 + i))); r.err != nil {
				return
			}
			if r.err = s.CloseSend(); r.err != nil {
				return
			}
			for {
				m := new(wrapperspb.Int64Value)
				if err := s.RecvMsg(m); err != nil {
					if !errors.Is(err, io.EOF) {
						r.err = err
					}
					return
				}
				r.got = append(r.got, m.GetValue())
			}
		}()
	}
	e.b.started(t, unary+streams)
	return results
}

// Serve's shutdown: Watch clients see NOT_SERVING first, the RPCs in flight
// (counted on the registry, health RPCs not) all complete, the Watch
// streams end cleanly, and Serve returns nil after the hooks ran.
func TestServeDrain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{DrainTimeout: time.Minute})
	var hooks atomic.Int32
	if err := e.h.OnShutdown("count", func(context.Context) error { hooks.Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	e.h.MarkStarted()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- grpchealth.Serve(ctx, e.g, e.ln, e.hs) }()

	watchCtx, stopWatch := context.WithTimeout(context.Background(), time.Minute) // fails instead of hanging
	defer stopWatch()
	watch, err := e.health.Watch(watchCtx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, watch, serving)
	results := e.inFlight(t, 2, 1)
	if n := e.h.InFlight().Count(); n != 3 {
		t.Errorf("in flight with 3 RPCs and a Watch = %d, want 3 (health RPCs are not counted)", n)
	}

	cancel()
	expect(t, watch, notServing)
	if _, err := watch.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("Watch after the listener closed: %v, want a clean end", err)
	}
	close(e.b.release)
	for range 3 {
		if r := <-results; r.err != nil {
			t.Errorf("in-flight RPC: %v", r.err)
		} else if len(r.got) == 2 && r.got[0] != r.got[1] {
			t.Errorf("stream got %v", r.got)
		}
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v, want nil", err)
	}
	if n := hooks.Load(); n != 1 || e.h.State() != core.StateStopped {
		t.Errorf("after Serve: %d hook runs, state %v; want 1, stopped", n, e.h.State())
	}
	if _, err := wait(context.Background(), e.cc, 1); status.Code(err) != codes.Unavailable {
		t.Errorf("RPC after shutdown: %v, want UNAVAILABLE", err)
	}
}

// RPCs still running at the drain timeout are canceled by Stop, and the
// error says how many were abandoned.
func TestServeDrainTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{DrainTimeout: 50 * time.Millisecond})
	e.h.MarkStarted()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- grpchealth.Serve(ctx, e.g, e.ln, e.hs) }()
	results := e.inFlight(t, 1, 1)
	cancel()
	err := <-served
	var dte *core.DrainTimeoutError
	if !errors.As(err, &dte) {
		t.Fatalf("Serve = %v, want a *core.DrainTimeoutError", err)
	}
	if dte.Abandoned != 2 {
		t.Errorf("abandoned = %d, want the 2 RPCs still running (%v)", dte.Abandoned, err)
	}
	for range 2 {
		if r := <-results; r.err == nil {
			t.Error("an RPC canceled by Stop succeeded")
		}
	}
}

// One process serving HTTP and gRPC on two ports shuts both down in one
// sequence, whichever server's Run starts it: the hooks run once and both
// Runs return.
func TestHTTPAndGRPCOneSequence(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{DrainTimeout: time.Minute})
	var hooks atomic.Int32
	if err := e.h.OnShutdown("count", func(context.Context) error { hooks.Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	e.h.MarkStarted()
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpCtx, stopHTTP := context.WithCancel(context.Background())
	httpDone := make(chan error, 1)
	go func() {
		httpDone <- e.h.Serve(httpCtx, &http.Server{Handler: e.h.Handler(), ReadHeaderTimeout: time.Second}, httpLn)
	}()
	grpcDone := make(chan error, 1)
	go func() { grpcDone <- grpchealth.Serve(context.Background(), e.g, e.ln, e.hs) }()
	watchCtx, stopWatch := context.WithTimeout(context.Background(), time.Minute) // fails instead of hanging
	defer stopWatch()
	watch, err := e.health.Watch(watchCtx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, watch, serving)
	results := e.inFlight(t, 1, 0)

	stopHTTP() // only the HTTP server's context ends: gRPC follows
	expect(t, watch, notServing)
	if _, err := watch.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("Watch once the gRPC server stops: %v, want a clean end", err)
	}
	close(e.b.release)
	if r := <-results; r.err != nil {
		t.Errorf("in-flight gRPC RPC: %v", r.err)
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
	if n := hooks.Load(); n != 1 {
		t.Errorf("hooks ran %d times, want 1", n)
	}
}

// Bad arguments are errors, never panics.
func TestBadArguments(t *testing.T) {
	t.Parallel()
	h, err := core.New(core.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	hs, err := grpchealth.New(h)
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	for name, fn := range map[string]func() error{
		"New(nil)":          func() error { _, err := grpchealth.New(nil); return err },
		"Register(nil, h)":  func() error { _, err := grpchealth.Register(nil, h); return err },
		"Register(g, nil)":  func() error { _, err := grpchealth.Register(g, nil); return err },
		"Serve(nil server)": func() error { return grpchealth.Serve(context.Background(), nil, ln, hs) },
		"Run(nil health)":   func() error { return grpchealth.Run(context.Background(), g, "127.0.0.1:0", nil) },
	} {
		if err := fn(); err == nil {
			t.Errorf("%s = nil error, want one", name)
		}
	}
}

// A server that cannot serve (its listener is closed) still goes through
// the sequence: Serve returns the error, the hooks ran, nothing is left
// running (goleak checks).
func TestServeFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{})
	var hooks atomic.Int32
	if err := e.h.OnShutdown("count", func(context.Context) error { hooks.Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	_ = e.ln.Close()
	if err := grpchealth.Serve(context.Background(), e.g, e.ln, e.hs); err == nil {
		t.Error("Serve on a closed listener = nil, want its error")
	}
	if hooks.Load() != 1 || e.h.State() != core.StateStopped {
		t.Errorf("after a failed Serve: %d hook runs, state %v; want 1, stopped", hooks.Load(), e.h.State())
	}
}
