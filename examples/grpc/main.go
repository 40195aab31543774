// Command grpc is the probekit example service serving gRPC and HTTP from
// one registry, on two ports: the orders.v1.Orders service (see package
// orders) and grpc.health.v1.Health on GRPC_PORT (9090 by default), and the
// HTTP probes, GET /orders/{id} and GET /slow?ms=N on -port/PORT. SIGTERM
// shuts both down in one sequence: readiness fails at once on both
// protocols, both keep serving for the propagation delay, then both stop
// accepting and drain their in-flight requests and RPCs. Configure it like
// the other examples (-h lists every setting) plus GRPC_PORT.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"

	"github.com/probekit/probekit/examples/grpc/orders"
	"github.com/probekit/probekit/examples/internal/demo"
	"github.com/probekit/probekit/grpchealth"
)

func main() {
	port, err := orders.ParsePort(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "grpc: %v\n", err)
		os.Exit(2)
	}
	os.Exit(demo.Main("grpc", os.Args[1:], func(ctx context.Context, app *demo.App) error {
		return serve(ctx, app, port)
	}))
}

func serve(ctx context.Context, app *demo.App, grpcPort int) error {
	h := app.Health
	g := grpc.NewServer(grpchealth.ServerOptions(h)...) // counts in-flight RPCs, never health RPCs
	hs, err := grpchealth.Register(g, h)                // grpc.health.v1.Health from the same registry
	if err != nil {
		return err
	}
	orders.Register(g, app)

	mux := http.NewServeMux()
	mux.Handle("/", h.Handler())
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		code, body := app.Order(r.Context(), r.PathValue("id"))
		demo.WriteJSON(w, code, body)
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		code, body := demo.Slow(r.Context(), r.URL.Query().Get("ms"))
		demo.WriteJSON(w, code, body)
	})
	srv := &http.Server{Addr: app.Config.Addr(), Handler: h.Drain(mux), ReadHeaderTimeout: 5 * time.Second}

	fmt.Printf(`gRPC on port %d (grpc.health.v1 and orders.v1.Orders), for example with grpc-health-probe:
  grpc-health-probe -addr=localhost:%[1]d                    # "" is overall readiness, like /readyz
  grpc-health-probe -addr=localhost:%[1]d -service=sqlite    # or liveness, readiness, startup, redis
`, grpcPort)

	// Two servers, one registry, one shutdown sequence: whichever Run sees
	// SIGTERM first starts it, and the other follows it.
	httpDone := make(chan error, 1)
	go func() { httpDone <- h.ListenAndServe(ctx, srv) }() // owned here: serve waits for it
	grpcErr := grpchealth.Run(ctx, g, net.JoinHostPort(app.Config.Host, strconv.Itoa(grpcPort)), hs)
	return errors.Join(grpcErr, <-httpDone)
}
