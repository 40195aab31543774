package connecthealth_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/probekit/probekit/connecthealth"
	"github.com/probekit/probekit/core"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// env is a registry, its Checker and one http.Server on loopback that
// speaks HTTP/1.1 and cleartext HTTP/2 (the gRPC protocol), serving the
// health handler, the HTTP probes and a blocking connect service, with the
// clients of every protocol pointed at it.
type env struct {
	h    *core.Registry
	c    *connecthealth.Checker
	ln   net.Listener
	srv  *http.Server
	url  string
	b    *blocker
	h2c  *http.Client // cleartext HTTP/2, for the gRPC protocol
	h1   *http.Client // HTTP/1.1, for the Connect and gRPC-Web protocols
	grpc *grpc.ClientConn
}

func newEnv(t *testing.T, opts core.Options) *env {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h, err := core.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	c, err := connecthealth.New(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{h: h, c: c, ln: ln, url: "http://" + ln.Addr().String(), b: newBlocker()}

	app := http.NewServeMux()
	app.Handle("/", h.Handler())
	app.Handle(blockerProcedure, connect.NewUnaryHandler(blockerProcedure, e.b.wait))
	app.HandleFunc("POST /admin/shutdown", func(w http.ResponseWriter, _ *http.Request) {
		if err := h.StartShutdown(); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
		}
	})
	root := http.NewServeMux()
	root.Handle(c.Handler()) // outside Drain: health RPCs are probes
	root.Handle("/", h.Drain(app))
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	e.srv = &http.Server{Handler: root, Protocols: &protocols, ReadHeaderTimeout: 10 * time.Second}

	var h2 http.Protocols
	h2.SetUnencryptedHTTP2(true)
	h2Transport := &http.Transport{Protocols: &h2}
	h1Transport := &http.Transport{}
	e.h2c = &http.Client{Transport: h2Transport}
	e.h1 = &http.Client{Transport: h1Transport}
	t.Cleanup(h2Transport.CloseIdleConnections)
	t.Cleanup(h1Transport.CloseIdleConnections)
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	e.grpc = cc
	return e
}

// serve runs the server until t ends, outside the registry's Run.
func (e *env) serve(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.srv.Serve(e.ln)
	}()
	t.Cleanup(func() {
		_ = e.srv.Close()
		<-done
	})
}

// healthClients are connect's health client in each of connect's protocols
// and grpc-go's, as one interface.
type healthClient struct {
	name  string
	check func(ctx context.Context, service string) (grpchealth.Status, error)
}

func (e *env) clients() []healthClient {
	connectClient := func(name string, hc *http.Client, opts ...connect.ClientOption) healthClient {
		cl := grpchealth.NewClient(hc, e.url, opts...)
		return healthClient{name, func(ctx context.Context, service string) (grpchealth.Status, error) {
			res, err := cl.Check(ctx, &grpchealth.CheckRequest{Service: service})
			if err != nil {
				return 0, err
			}
			return res.Status, nil
		}}
	}
	g := healthpb.NewHealthClient(e.grpc)
	return []healthClient{
		connectClient("connect/grpc", e.h2c, connect.WithGRPC()),
		connectClient("connect/connect", e.h1),
		connectClient("connect/grpc-web", e.h1, connect.WithGRPCWeb()),
		{"grpc-go", func(ctx context.Context, service string) (grpchealth.Status, error) {
			res, err := g.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
			if err != nil { // gRPC's codes are connect's
				return 0, connect.NewError(connect.Code(status.Code(err)), err) //nolint:gosec // codes 0-16
			}
			return grpchealth.Status(res.GetStatus()), nil
		}},
	}
}

// get answers an HTTP probe's status code.
func (e *env) get(t *testing.T, path string) int {
	t.Helper()
	res, err := e.h1.Get(e.url + path)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	return res.StatusCode
}

// blockerProcedure is a connect service whose RPC waits for release, so
// that tests hold it in flight without sleeps; it answers its argument.
const blockerProcedure = "/probekit.test.Blocker/Wait"

type blocker struct {
	entered chan struct{} // one value per RPC that reached its handler
	release chan struct{} // closed to let every RPC finish
}

func newBlocker() *blocker {
	return &blocker{entered: make(chan struct{}, 64), release: make(chan struct{})}
}

func (b *blocker) wait(ctx context.Context, req *connect.Request[wrapperspb.Int64Value]) (*connect.Response[wrapperspb.Int64Value], error) {
	b.entered <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return connect.NewResponse(req.Msg), nil
}

func (e *env) call(ctx context.Context, v int64) error {
	cl := connect.NewClient[wrapperspb.Int64Value, wrapperspb.Int64Value](e.h2c, e.url+blockerProcedure, connect.WithGRPC())
	res, err := cl.CallUnary(ctx, connect.NewRequest(wrapperspb.Int64(v)))
	if err != nil {
		return err
	}
	if res.Msg.GetValue() != v {
		return errors.New("wrong answer")
	}
	return nil
}

// toggle is a synchronous check that fails while bad is set.
type toggle struct{ bad atomic.Bool }

func (g *toggle) check(context.Context) error {
	if g.bad.Load() {
		return core.Unhealthy("toggled", nil)
	}
	return nil
}
