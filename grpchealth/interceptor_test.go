package grpchealth_test

import (
	"context"
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/grpchealth"
	"google.golang.org/grpc"
)

// The interceptors count an RPC while its handler runs, also when it
// panics, and never count the health service's RPCs.
func TestInterceptorsCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method string
		panics bool
		want   int64 // in flight while the handler runs
	}{
		{"/orders.v1.Orders/Get", false, 1},
		{"/orders.v1.Orders/Get", true, 1},
		{"/grpc.health.v1.Health/Check", false, 0},
		{"/grpc.health.v1.Health/Watch", false, 0},
		{"/grpc.health.v1.HealthX/Check", false, 1}, // another service, not the health one
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			h, err := core.New(core.Options{})
			if err != nil {
				t.Fatal(err)
			}
			call := func(run func(handler func())) {
				t.Helper()
				var during int64 = -1
				func() {
					defer func() {
						if r := recover(); r != nil && !tt.panics {
							t.Fatalf("unexpected panic %v", r)
						}
					}()
					run(func() {
						during = h.InFlight().Count()
						if tt.panics {
							panic("handler")
						}
					})
				}()
				if during != tt.want {
					t.Errorf("in flight during the handler = %d, want %d", during, tt.want)
				}
				if n := h.InFlight().Count(); n != 0 {
					t.Errorf("in flight after the handler = %d, want 0", n)
				}
			}
			unary := grpchealth.UnaryServerInterceptor(h)
			call(func(handler func()) {
				_, _ = unary(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: tt.method},
					func(context.Context, any) (any, error) { handler(); return nil, nil })
			})
			stream := grpchealth.StreamServerInterceptor(h)
			call(func(handler func()) {
				_ = stream(nil, nil, &grpc.StreamServerInfo{FullMethod: tt.method},
					func(any, grpc.ServerStream) error { handler(); return nil })
			})
		})
	}
}
