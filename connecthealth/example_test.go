package connecthealth_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/probekit/probekit/connecthealth"
	"github.com/probekit/probekit/core"
)

// A connect server on loopback serving grpc.health.v1.Health from a
// registry, run by the registry and asked with connect's own health client
// over the gRPC protocol (cleartext HTTP/2).
func Example() {
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler), PropagationDelay: 1})
	if err != nil {
		panic(err)
	}
	defer h.Close()
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
		panic(err)
	}
	hc, err := connecthealth.New(h)
	if err != nil {
		panic(err)
	}
	defer hc.Close()

	app := http.NewServeMux()
	app.Handle("/", h.Handler()) // the HTTP probes; your connect services beside them
	mux := http.NewServeMux()
	mux.Handle(hc.Handler())      // outside Drain: a health RPC is a probe
	mux.Handle("/", h.Drain(app)) // in-flight tracking for the rest
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true) // gRPC without TLS
	srv := &http.Server{Handler: mux, Protocols: &protocols}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx, srv, ln) }() // until stop: NOT_SERVING, Shutdown, hooks

	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	transport := &http.Transport{Protocols: &h2c}
	defer transport.CloseIdleConnections()
	client := grpchealth.NewClient(&http.Client{Transport: transport}, "http://"+ln.Addr().String(), connect.WithGRPC())
	for _, service := range []string{"", "db", "liveness", "nope"} {
		res, err := client.Check(ctx, &grpchealth.CheckRequest{Service: service})
		if err != nil {
			fmt.Printf("%q: %v\n", service, connect.CodeOf(err))
			continue
		}
		fmt.Printf("%q: %v\n", service, res.Status)
	}
	stop()
	fmt.Println("Serve:", <-served)
	// Output:
	// "": serving
	// "db": serving
	// "liveness": serving
	// "nope": not_found
	// Serve: <nil>
}
