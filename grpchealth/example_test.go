package grpchealth_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/grpchealth"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// The services a gRPC health client can ask about: overall readiness (""),
// the probes, and each check by name.
func Example() {
	h, err := core.New(core.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }})
	hs, err := grpchealth.New(h)
	if err != nil {
		log.Fatal(err)
	}
	defer hs.Close()

	for _, service := range []string{"", "liveness", "db", "nope"} {
		resp, err := hs.Check(context.Background(), &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			fmt.Printf("%q: %v\n", service, status.Code(err))
			continue
		}
		fmt.Printf("%q: %v\n", service, resp.GetStatus())
	}
	// Output:
	// "": SERVING
	// "liveness": SERVING
	// "db": SERVING
	// "nope": NotFound
}

// Run serves a gRPC server through the registry's shutdown sequence; the
// interceptors count its RPCs for the drain.
func ExampleRun() {
	h, err := core.New(core.Options{PropagationDelay: time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	g := grpc.NewServer(grpchealth.ServerOptions(h)...)
	hs, err := grpchealth.Register(g, h)
	if err != nil {
		log.Fatal(err)
	}
	// Register your own services on g here.
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a real main passes a context that lives until SIGTERM
	if err := grpchealth.Run(ctx, g, "127.0.0.1:0", hs); err != nil {
		log.Fatal(err)
	}
	fmt.Println("stopped:", h.State())
	// Output: stopped: stopped
}
