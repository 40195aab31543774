package recipes_test

import (
	"net"
	"strings"
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/recipes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
)

// The downstream service is a real gRPC server with grpc-go's own health
// service, on a loopback port of this process.
func TestGRPCHealth(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		status  grpc_health_v1.HealthCheckResponse_ServingStatus // of inventory.v1.Inventory; UNKNOWN: not set
		stopped bool                                             // the server is stopped before the check
		want    string
	}{
		{name: "serving", status: grpc_health_v1.HealthCheckResponse_SERVING},
		{name: "not serving", status: grpc_health_v1.HealthCheckResponse_NOT_SERVING, want: "inventory: NOT_SERVING"},
		{name: "service unknown to the server", want: "inventory: NotFound"},
		{name: "server stopped", status: grpc_health_v1.HealthCheckResponse_SERVING, stopped: true, want: "inventory: Unavailable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, stop := healthServer(t, tt.status)
			conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			if tt.stopped {
				stop()
			}
			s := probe(t, func(h *core.Registry) error { return recipes.GRPCHealth(h, conn) })
			if tt.want == "" {
				s.healthy(t)
				return
			}
			s.failed(t, tt.want)
			// The reason is the code, never the error's text, which names
			// the address (the log has it, as the registry logs every
			// raw error with only its secrets redacted).
			if strings.Contains(s.json+s.text, addr) {
				t.Errorf("a probe body shows the address %s: %s", addr, s.json)
			}
		})
	}
}

// healthServer serves grpc.health.v1 on a loopback port with status for
// inventory.v1.Inventory (none when UNKNOWN). It returns the address and a
// stop function, also called at cleanup.
func healthServer(t *testing.T, status grpc_health_v1.HealthCheckResponse_ServingStatus) (string, func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := health.NewServer()
	if status != grpc_health_v1.HealthCheckResponse_UNKNOWN {
		hs.SetServingStatus("inventory.v1.Inventory", status)
	}
	g := grpc.NewServer()
	grpc_health_v1.RegisterHealthServer(g, hs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = g.Serve(l)
	}()
	stop := func() {
		g.Stop()
		<-served
	}
	t.Cleanup(stop)
	return l.Addr().String(), stop
}
