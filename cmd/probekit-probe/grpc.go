package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// probeGRPC calls grpc.health.v1.Health/Check once, as grpc-health-probe
// and the kubelet's grpc probe do: SERVING is a success; any other status,
// an unknown service, or no answer within the timeout is a failure, and
// the message says which of grpc-health-probe's cases it was (connection
// failure, RPC failure, unhealthy).
func probeGRPC(ctx context.Context, c *config) outcome {
	shown := escape(c.addr)
	if c.service != "" {
		shown += " service " + escape(c.service)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	creds := insecure.NewCredentials()
	if c.tls {
		creds = credentials.NewTLS(&tls.Config{
			RootCAs:            c.roots,
			InsecureSkipVerify: c.insecureSkipVerify, //nolint:gosec // an explicit, documented flag
		})
	}
	conn, err := grpc.NewClient("passthrough:///"+c.addr,
		grpc.WithTransportCredentials(creds),
		grpc.WithUserAgent(userAgent),
		// A probe measures the service, never a proxy on the way.
		grpc.WithNoProxy(),
	)
	if err != nil {
		return outcome{message: fmt.Sprintf("grpc %s: %s", shown, escape(err.Error()))}
	}
	defer conn.Close()

	if len(c.header) > 0 {
		md := metadata.MD{}
		for name, values := range c.header {
			md.Append(strings.ToLower(name), values...)
		}
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: c.service})
	if err != nil {
		return outcome{message: fmt.Sprintf("grpc %s: %s", shown, describeRPCError(ctx, err, c))}
	}
	if st := res.GetStatus(); st != healthpb.HealthCheckResponse_SERVING {
		return outcome{message: fmt.Sprintf("grpc %s: unhealthy: status %s", shown, escape(st.String()))}
	}
	return outcome{ok: true, message: fmt.Sprintf("grpc %s: status SERVING", shown)}
}

// describeRPCError words a failed Check. A status message comes from the
// server and is escaped.
func describeRPCError(ctx context.Context, err error, c *config) string {
	st, _ := status.FromError(err)
	switch st.Code() {
	case codes.NotFound:
		// grpc-go's health server answers NotFound for a service it
		// does not know.
		return "unknown service"
	case codes.Unimplemented:
		return "RPC failure: the server does not implement grpc.health.v1.Health"
	case codes.DeadlineExceeded:
		return fmt.Sprintf("timeout: no answer within %v", c.timeout)
	case codes.Unavailable:
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Sprintf("timeout: no answer within %v", c.timeout)
		}
		if strings.Contains(st.Message(), "connection refused") {
			return "connection failure: connection refused"
		}
		return "connection failure: " + escape(st.Message())
	}
	return fmt.Sprintf("RPC failure: %s: %s", st.Code(), escape(st.Message()))
}
