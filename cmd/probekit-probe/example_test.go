package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
)

// A readiness probe against a service that answers 200: exit status 0.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	code := run(context.Background(), []string{srv.URL + "/readyz", "--timeout", "2s"}, io.Discard, io.Discard, os.ReadFile)
	fmt.Println("exit", code)
	// Output: exit 0
}

// A probe with a misspelt flag is a usage error, exit status 2, whatever
// the service's health.
func Example_usageError() {
	code := run(context.Background(), []string{"--timout", "2s", "http://127.0.0.1:8080/readyz"}, io.Discard, os.Stdout, os.ReadFile)
	fmt.Println("exit", code)
	// Output:
	// probekit-probe: unknown flag --timout
	// usage: probekit-probe [flags] URL | probekit-probe grpc [flags] HOST:PORT (--help for more)
	// exit 2
}
