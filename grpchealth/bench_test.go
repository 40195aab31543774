package grpchealth_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/grpchealth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/test/bufconn"
)

// cachedRegistry has background checks only, started and probed once, so
// that a Check is served from the pre-rendered answer.
func cachedRegistry(b *testing.B) *core.Registry {
	b.Helper()
	h, err := core.New(core.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.Close() })
	for _, name := range []string{"db", "cache", "queue"} {
		if err := h.Register(core.Check{Name: name, Interval: time.Hour, Check: ok}); err != nil {
			b.Fatal(err)
		}
	}
	if err := h.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	for { // wait for the first background runs
		if st, _ := h.Stored(core.Readiness, ""); st == core.StatusOK {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return h
}

// BenchmarkCheck measures the server side of a Check RPC (the handler grpc
// calls), against grpc-go's own health server as the baseline.
func BenchmarkCheck(b *testing.B) {
	ctx := context.Background()
	req := &healthpb.HealthCheckRequest{}
	b.Run("baseline=grpc-health", func(b *testing.B) {
		s := health.NewServer()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Check(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("grpchealth/cached", func(b *testing.B) {
		hs, err := grpchealth.New(cachedRegistry(b))
		if err != nil {
			b.Fatal(err)
		}
		defer hs.Close()
		b.ReportAllocs()
		for b.Loop() {
			if r, err := hs.Check(ctx, req); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("grpchealth/check-name", func(b *testing.B) {
		hs, err := grpchealth.New(cachedRegistry(b))
		if err != nil {
			b.Fatal(err)
		}
		defer hs.Close()
		req := &healthpb.HealthCheckRequest{Service: "db"}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := hs.Check(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkInterceptor measures the drain interceptors around a handler that
// does nothing, against an interceptor that only calls the handler.
func BenchmarkInterceptor(b *testing.B) {
	ctx := context.Background()
	h, err := core.New(core.Options{})
	if err != nil {
		b.Fatal(err)
	}
	info := &grpc.UnaryServerInfo{FullMethod: "/orders.Orders/Get"}
	sinfo := &grpc.StreamServerInfo{FullMethod: "/orders.Orders/Watch"}
	unary := func(context.Context, any) (any, error) { return nil, nil }
	stream := func(any, grpc.ServerStream) error { return nil }
	for _, bb := range []struct {
		name string
		u    grpc.UnaryServerInterceptor
		s    grpc.StreamServerInterceptor
	}{
		{
			name: "baseline=pass-through",
			u: func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
				return next(ctx, req)
			},
			s: func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, next grpc.StreamHandler) error {
				return next(srv, ss)
			},
		},
		{name: "grpchealth", u: grpchealth.UnaryServerInterceptor(h), s: grpchealth.StreamServerInterceptor(h)},
	} {
		b.Run(bb.name+"/unary", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = bb.u(ctx, nil, info, unary)
			}
		})
		b.Run(bb.name+"/stream", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bb.s(nil, nil, sinfo, stream)
			}
		})
	}
}

// BenchmarkCheckRPC is a whole Check RPC over an in-memory connection
// (client, transport and server), grpc-go's health server against
// grpchealth on a cached registry: the difference is what grpchealth adds
// to grpc's own cost.
func BenchmarkCheckRPC(b *testing.B) {
	for _, bb := range []struct {
		name     string
		register func(b *testing.B, g *grpc.Server)
	}{
		{"baseline=grpc-health", func(_ *testing.B, g *grpc.Server) { healthpb.RegisterHealthServer(g, health.NewServer()) }},
		{"grpchealth/cached", func(b *testing.B, g *grpc.Server) {
			hs, err := grpchealth.Register(g, cachedRegistry(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(hs.Close)
		}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			ln := bufconn.Listen(1 << 20)
			g := grpc.NewServer()
			bb.register(b, g)
			done := make(chan struct{})
			go func() { // ends with g.Stop below
				defer close(done)
				_ = g.Serve(ln)
			}()
			defer func() { g.Stop(); <-done }()
			cc, err := grpc.NewClient("passthrough:///bufnet",
				grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
				grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer cc.Close()
			client := healthpb.NewHealthClient(cc)
			ctx, req := context.Background(), &healthpb.HealthCheckRequest{}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.Check(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
