// A consumer of connecthealth alone: grpc.health.v1 over loopback through
// connect's handler, asked with connect's own health client in the gRPC
// protocol (cleartext HTTP/2), beside the same registry's HTTP probe.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/probekit/probekit/connecthealth"
	"github.com/probekit/probekit/core"
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
	hc, err := connecthealth.New(h)
	if err != nil {
		fail(err)
	}
	defer hc.Close()
	mux := http.NewServeMux()
	mux.Handle(hc.Handler())
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: mux, Protocols: &protocols}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go func() { _ = srv.Serve(ln) }() // ends with srv.Close below
	defer srv.Close()
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	client := grpchealth.NewClient(&http.Client{Transport: &http.Transport{Protocols: &h2c}}, "http://"+ln.Addr().String(), connect.WithGRPC())
	resp, err := client.Check(context.Background(), &grpchealth.CheckRequest{Service: "consumer"})
	if err != nil {
		fail(err)
	}
	p := h.Probe(context.Background(), core.ProbeRequest{Method: "GET", Kind: core.Readiness, RawQuery: "verbose"})
	fmt.Printf("%d\n%sconnect consumer %v\n", p.Code, p.Body, resp.Status)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
