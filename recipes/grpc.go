package recipes

import (
	"context"
	"time"

	"github.com/probekit/probekit/core"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// GRPCHealth registers a check of a downstream gRPC service through its
// standard health service (grpc.health.v1.Health/Check) on the
// *grpc.ClientConn the service already uses, so the check shares its
// connection, name resolution, TLS and credentials. The service asked
// here, inventory.v1.Inventory, stands for yours; "" asks for the
// server's overall health. A status other than SERVING fails with that
// status, an RPC error with its gRPC code (Unavailable, DeadlineExceeded,
// Unimplemented when the server has no health service): never the error's
// text, which may name addresses.
//
// The check is Optional: failing readiness because a downstream service is
// down takes this service out of rotation too, and an outage spreads from
// caller to caller. It returns Register's error.
func GRPCHealth(h *core.Registry, conn *grpc.ClientConn) error {
	health := grpc_health_v1.NewHealthClient(conn)
	if err := h.Register(core.Check{
		Name: "inventory",
		Check: func(ctx context.Context) error {
			resp, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: "inventory.v1.Inventory"})
			if err != nil {
				return core.Unhealthy("inventory: "+status.Code(err).String(), err)
			}
			if s := resp.GetStatus(); s != grpc_health_v1.HealthCheckResponse_SERVING {
				return core.Unhealthy("inventory: "+s.String(), nil)
			}
			return nil
		},
		Optional: true, // a downstream service: its outage must not empty this one's endpoints
		Timeout:  time.Second,
		Interval: 5 * time.Second,
	}); err != nil {
		return err
	}
	return nil
}
