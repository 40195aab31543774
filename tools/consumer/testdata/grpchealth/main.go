// A consumer of grpchealth alone: grpc.health.v1 over loopback, asked with
// grpc-go's own health client, beside the same registry's HTTP probe.
package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/grpchealth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	h, err := core.New(core.Options{Service: "consumer"})
	if err != nil {
		fail(err)
	}
	if err := h.Register(core.Check{Name: "consumer", Check: func(context.Context) error { return nil }}); err != nil {
		fail(err)
	}
	if err := h.Start(context.Background()); err != nil {
		fail(err)
	}
	defer h.Close()
	g := grpc.NewServer(grpchealth.ServerOptions(h)...)
	hs, err := grpchealth.Register(g, h)
	if err != nil {
		fail(err)
	}
	defer hs.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go func() { _ = g.Serve(ln) }() // ends with g.Stop below
	defer g.Stop()
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail(err)
	}
	defer cc.Close()
	resp, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{Service: "consumer"})
	if err != nil {
		fail(err)
	}
	p := h.Probe(context.Background(), core.ProbeRequest{Method: "GET", Kind: core.Readiness, RawQuery: "verbose"})
	fmt.Printf("%d\n%sgrpc consumer %v\n", p.Code, p.Body, resp.GetStatus())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
