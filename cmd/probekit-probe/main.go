package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses; see the package doc for how they map to grpc-health-probe's.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	// SIGTERM from a container runtime giving up, or Ctrl-C: end the
	// probe now, as a failure.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.ReadFile)
	stop()
	os.Exit(code)
}

// run is the whole command: it parses args, probes, prints and returns the
// exit status. readFile reads --ca-cert.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, readFile func(string) ([]byte, error)) int {
	c, err := parseArgs(args, readFile)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "probekit-probe: %v\n%s", err, usageShort)
		return exitUsage
	}
	var o outcome
	if c.mode == modeGRPC {
		o = probeGRPC(ctx, c)
	} else {
		o = probeHTTP(ctx, c)
	}
	if o.warning != "" {
		fmt.Fprintf(stderr, "probekit-probe: warning: %s\n", o.warning)
	}
	if !o.ok {
		fmt.Fprintf(stderr, "probekit-probe: %s\n", o.message)
		return exitFailure
	}
	fmt.Fprintf(stdout, "probekit-probe: %s\n", o.message)
	return exitOK
}

const usageShort = "usage: probekit-probe [flags] URL | probekit-probe grpc [flags] HOST:PORT (--help for more)\n"

const usage = `usage:
  probekit-probe [flags] http[s]://HOST:PORT/PATH
  probekit-probe grpc [flags] HOST:PORT

Probes a service once, for an exec probe or a Docker HEALTHCHECK.
Flags may come before or after the URL or address, with - or --.

HTTP, like the kubelet's httpGet probe: one GET; status 200-399 is a
success. Redirects are followed up to 10 times to the same host name; a
redirect to another host, or from https to http, is not followed and
counts as a success, with a warning. At most 10 KiB of the body is read, and it is never printed.

gRPC, like grpc-health-probe: grpc.health.v1.Health/Check; SERVING is a
success; NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN and an unknown service
(NotFound) are failures.

Flags:
  --timeout DURATION      the whole probe: connect, request, answer (default 1s)
  --header 'Name: value'  add a request header (gRPC: metadata); repeatable.
                          'Host: name' sets the HTTP Host; 'Accept:' drops
                          the default Accept: */*
  --insecure-skip-verify  TLS: do not verify the server's certificate
  --ca-cert FILE          TLS: verify with these PEM certificates instead
                          of the system's
  --service NAME          gRPC: the service to check (default "": the server)
  --tls                   gRPC: use TLS (default: plaintext); HTTP takes
                          TLS from https://
  -h, --help              this text

grpc-health-probe's -addr is the argument after grpc; -connect-timeout and
-rpc-timeout are --timeout, -tls-no-verify is --insecure-skip-verify,
-tls-ca-cert is --ca-cert, -rpc-header is --header.

Exit status (Docker HEALTHCHECK's and the kubelet's meaning):
  0  healthy
  1  unhealthy or unreachable; the reason is on standard error.
     grpc-health-probe's 2 (connection failure), 3 (RPC failure) and
     4 (unhealthy) are all 1 here; the reason names the case.
  2  usage error (grpc-health-probe: 1)

The reason never holds the URL's user information or query, header
values or the response body, and a server's text in it is escaped.
`
