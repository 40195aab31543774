// Package orders is the gRPC side of the grpc example: the orders.v1.Orders
// service, registered by hand (no protoc needed) on the protobuf
// well-known wrapper types, and the GRPC_PORT setting.
//
//	orders.v1.Orders/Get        Int64Value id  -> StringValue, the order as JSON
//	orders.v1.Orders/Slow       Int64Value ms  -> Int64Value, after sleeping ms
//	orders.v1.Orders/SlowStream Int64Value ms  -> stream: 0 at once, ms after ms
package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/probekit/probekit/examples/internal/demo"
)

// The service's name and its methods' full names, for clients.
const (
	ServiceName       = "orders.v1.Orders"
	GetMethod         = "/" + ServiceName + "/Get"
	SlowMethod        = "/" + ServiceName + "/Slow"
	SlowStreamMethod  = "/" + ServiceName + "/SlowStream"
	slowStreamName    = "SlowStream"
	defaultPortString = "9090"
)

// Port settings: the gRPC server listens on GRPC_PORT, 9090 by default.
const (
	PortEnv     = "GRPC_PORT"
	DefaultPort = 9090
)

// ParsePort reads GRPC_PORT through getenv (os.Getenv in a real program).
// The error names the variable.
func ParsePort(getenv func(string) string) (int, error) {
	v := getenv(PortEnv)
	if v == "" {
		v = defaultPortString
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s: want a port in [1, 65535], got %q", PortEnv, v)
	}
	return n, nil
}

// SlowStreamDesc describes the streaming method, for grpc.ClientConn.NewStream.
var SlowStreamDesc = grpc.StreamDesc{StreamName: slowStreamName, ServerStreams: true}

// Register registers the service on g, answering from app.
func Register(g grpc.ServiceRegistrar, app *demo.App) {
	g.RegisterService(&serviceDesc, app)
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: ServiceName,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Get", Handler: unary(GetMethod, get)},
		{MethodName: "Slow", Handler: unary(SlowMethod, slow)},
	},
	Streams: []grpc.StreamDesc{{StreamName: slowStreamName, ServerStreams: true, Handler: slowStream}},
}

// unary adapts fn to grpc's method handler, running the interceptors.
func unary(method string, fn func(context.Context, *demo.App, *wrapperspb.Int64Value) (any, error)) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
		in := new(wrapperspb.Int64Value)
		if err := dec(in); err != nil {
			return nil, err
		}
		h := func(ctx context.Context, req any) (any, error) {
			return fn(ctx, srv.(*demo.App), req.(*wrapperspb.Int64Value))
		}
		if ic == nil {
			return h(ctx, in)
		}
		return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: method}, h)
	}
}

func get(ctx context.Context, app *demo.App, in *wrapperspb.Int64Value) (any, error) {
	code, body := app.Order(ctx, strconv.FormatInt(in.GetValue(), 10))
	if err := statusOf(code, body); err != nil {
		return nil, err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, status.Error(codes.Internal, "encode order")
	}
	return wrapperspb.String(string(b)), nil
}

func slow(ctx context.Context, _ *demo.App, in *wrapperspb.Int64Value) (any, error) {
	code, body := demo.Slow(ctx, strconv.FormatInt(in.GetValue(), 10))
	if err := statusOf(code, body); err != nil {
		return nil, err
	}
	return wrapperspb.Int64(in.GetValue()), nil
}

// slowStream sends 0 at once, so that the client knows the stream is open,
// then the number of milliseconds after sleeping that long.
func slowStream(_ any, ss grpc.ServerStream) error {
	in := new(wrapperspb.Int64Value)
	if err := ss.RecvMsg(in); err != nil {
		return err
	}
	if err := ss.SendMsg(wrapperspb.Int64(0)); err != nil {
		return err
	}
	code, body := demo.Slow(ss.Context(), strconv.FormatInt(in.GetValue(), 10))
	if err := statusOf(code, body); err != nil {
		return err
	}
	return ss.SendMsg(wrapperspb.Int64(in.GetValue()))
}

// statusOf maps the demo's HTTP answer to a gRPC status: nil for 200.
func statusOf(code int, body any) error {
	msg := http.StatusText(code)
	if e, ok := body.(demo.Error); ok {
		msg = e.Error
	}
	switch code {
	case http.StatusOK:
		return nil
	case http.StatusBadRequest:
		return status.Error(codes.InvalidArgument, msg)
	case http.StatusNotFound:
		return status.Error(codes.NotFound, msg)
	case http.StatusServiceUnavailable:
		return status.Error(codes.Unavailable, msg)
	}
	return status.Error(codes.Internal, msg)
}
