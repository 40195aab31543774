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
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// blocker is a hand-registered test service ("probekit.test.Blocker") whose
// RPCs wait for release, so that tests hold them in flight without sleeps.
// Unary Wait returns its argument; streaming Stream sends its argument once,
// then waits, then sends it again.
type blocker struct {
	entered chan struct{} // one value per RPC that reached its handler
	release chan struct{} // closed to let every RPC finish
}

func newBlocker() *blocker {
	return &blocker{entered: make(chan struct{}, 64), release: make(chan struct{})}
}

var blockerDesc = grpc.ServiceDesc{
	ServiceName: "probekit.test.Blocker",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Wait",
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.Int64Value)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, req any) (any, error) {
				b := srv.(*blocker)
				b.entered <- struct{}{}
				select {
				case <-b.release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				return req, nil
			}
			if ic == nil {
				return h(ctx, in)
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/probekit.test.Blocker/Wait"}, h)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Stream",
		ServerStreams: true,
		Handler: func(srv any, ss grpc.ServerStream) error {
			b := srv.(*blocker)
			in := new(wrapperspb.Int64Value)
			if err := ss.RecvMsg(in); err != nil {
				return err
			}
			b.entered <- struct{}{}
			if err := ss.SendMsg(in); err != nil {
				return err
			}
			select {
			case <-b.release:
			case <-ss.Context().Done():
				return ss.Context().Err()
			}
			return ss.SendMsg(in)
		},
	}},
}

// wait calls the unary Wait RPC.
func wait(ctx context.Context, cc *grpc.ClientConn, v int64) (int64, error) {
	out := new(wrapperspb.Int64Value)
	err := cc.Invoke(ctx, "/probekit.test.Blocker/Wait", wrapperspb.Int64(v), out)
	return out.GetValue(), err
}

// env is a registry served over TCP loopback by a grpc server with the
// interceptors, the health service and the blocker service.
type env struct {
	h      *core.Registry
	hs     *grpchealth.Server
	g      *grpc.Server
	ln     net.Listener
	cc     *grpc.ClientConn
	health healthpb.HealthClient
	b      *blocker
}

// newEnv builds the server; serving it is up to the test (g.Serve or
// grpchealth.Serve).
func newEnv(t *testing.T, opts core.Options) *env {
	t.Helper()
	if opts.PropagationDelay == 0 {
		opts.PropagationDelay = time.Nanosecond
	}
	h, err := core.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	g := grpc.NewServer(grpchealth.ServerOptions(h)...)
	hs, err := grpchealth.Register(g, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hs.Close)
	b := newBlocker()
	g.RegisterService(&blockerDesc, b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return &env{h: h, hs: hs, g: g, ln: ln, cc: cc, health: healthpb.NewHealthClient(cc), b: b}
}

// serve runs g.Serve on the listener until the test ends.
func (e *env) serve(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() { // ends when g stops, at cleanup
		defer close(done)
		_ = e.g.Serve(e.ln)
	}()
	t.Cleanup(func() {
		e.g.Stop()
		<-done
	})
}
