package grpchealth

import (
	"context"
	"strings"

	"github.com/probekit/probekit/core"
	"google.golang.org/grpc"
)

// healthPrefix starts the full method name of every health RPC. Those are
// probes, never counted: a Watch stream would otherwise hold the drain open
// until its timeout.
const healthPrefix = "/grpc.health.v1.Health/"

// UnaryServerInterceptor counts each unary RPC in h's in-flight counter,
// the one the HTTP drain middleware feeds and Shutdown waits on, from the
// moment the handler is called until it returns (also when it panics).
// Health RPCs are not counted. A nil h counts nothing that is waited for,
// as [core.Registry.InFlight] says.
func UnaryServerInterceptor(h *core.Registry) grpc.UnaryServerInterceptor {
	f := h.InFlight()
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if strings.HasPrefix(info.FullMethod, healthPrefix) {
			return handler(ctx, req)
		}
		f.Enter()
		defer f.Leave()
		return handler(ctx, req)
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streaming RPCs: a
// stream is in flight until its handler returns.
func StreamServerInterceptor(h *core.Registry) grpc.StreamServerInterceptor {
	f := h.InFlight()
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if strings.HasPrefix(info.FullMethod, healthPrefix) {
			return handler(srv, ss)
		}
		f.Enter()
		defer f.Leave()
		return handler(srv, ss)
	}
}

// ServerOptions returns the grpc.NewServer options that install both
// interceptors (chained after any others).
func ServerOptions(h *core.Registry) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(UnaryServerInterceptor(h)),
		grpc.ChainStreamInterceptor(StreamServerInterceptor(h)),
	}
}
