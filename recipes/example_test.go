package recipes_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/recipes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
)

// A service holds a pgx pool; the recipe checks PostgreSQL through it. (Not
// run: it needs DATABASE_URL.)
func ExamplePgxpool() {
	ctx := context.Background()
	h, err := core.New(core.Options{Service: "orders"})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if err := recipes.Pgxpool(h, pool); err != nil {
		log.Fatal(err)
	}
	if err := h.Start(ctx); err != nil {
		log.Fatal(err)
	}
}

// A downstream service answers grpc.health.v1; the recipe checks it through
// the connection the service already holds.
func ExampleGRPCHealth() {
	// The downstream service, here in the same process.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := health.NewServer()
	hs.SetServingStatus("inventory.v1.Inventory", grpc_health_v1.HealthCheckResponse_NOT_SERVING)
	g := grpc.NewServer()
	grpc_health_v1.RegisterHealthServer(g, hs)
	go func() { _ = g.Serve(l) }()
	defer g.Stop()

	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	// firstResult (probe_test.go) is an Observer that hands on the first result.
	first := make(chan core.Result, 1)
	h, err := core.New(core.Options{Service: "orders", Observers: []core.Observer{firstResult(first)}})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	if err := recipes.GRPCHealth(h, conn); err != nil {
		log.Fatal(err)
	}
	if err := h.Start(context.Background()); err != nil { // the check runs in the background
		log.Fatal(err)
	}
	r := <-first
	fmt.Printf("%s: %s, %s (critical: %t)\n", r.Name, r.Status, r.Message, r.Critical)
	// Output: inventory: unavailable, inventory: NOT_SERVING (critical: false)
}
