package main

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// serveGRPC starts srv on a loopback port and stops it when the test ends.
func serveGRPC(t *testing.T, srv *grpc.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln) //nolint:errcheck // ends with Stop below
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return ln.Addr().String()
}

// hangingHealth answers Check only when the caller gives up.
type hangingHealth struct {
	healthpb.UnimplementedHealthServer
}

func (hangingHealth) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestGRPC runs the command against real gRPC servers with grpc-go's own
// health server.
func TestGRPC(t *testing.T) {
	t.Parallel()
	hs := health.NewServer()
	hs.SetServingStatus("readiness", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus("unknown-status", healthpb.HealthCheckResponse_UNKNOWN)
	hs.SetServingStatus("\x1b[2Jhostile", healthpb.HealthCheckResponse_NOT_SERVING)

	// The metadata a probe sent, checked by the server: the service
	// "needs-token" is SERVING only with x-token: s3cret.
	tokenCheck := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		if r, ok := req.(*healthpb.HealthCheckRequest); ok && r.GetService() == "needs-token" {
			md, _ := metadata.FromIncomingContext(ctx)
			st := healthpb.HealthCheckResponse_NOT_SERVING
			if v := md.Get("x-token"); len(v) == 1 && v[0] == "s3cret" && strings.HasPrefix(strings.Join(md.Get("user-agent"), ""), userAgent) {
				st = healthpb.HealthCheckResponse_SERVING
			}
			return &healthpb.HealthCheckResponse{Status: st}, nil
		}
		return next(ctx, req)
	}
	plain := grpc.NewServer(grpc.UnaryInterceptor(tokenCheck))
	healthpb.RegisterHealthServer(plain, hs)
	addr := serveGRPC(t, plain)

	// The TLS server borrows httptest's certificate for 127.0.0.1.
	certSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	certSrv.StartTLS()
	ca := caFile(t, certSrv)
	cert := certSrv.TLS.Certificates[0]
	certSrv.Close()
	secure := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	healthpb.RegisterHealthServer(secure, hs)
	tlsAddr := serveGRPC(t, secure)

	noHealth := serveGRPC(t, grpc.NewServer())
	hanging := grpc.NewServer()
	healthpb.RegisterHealthServer(hanging, hangingHealth{})
	hangingAddr := serveGRPC(t, hanging)

	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout on success, stderr on failure
	}{
		{"server serving", []string{"grpc", addr}, exitOK, "grpc " + addr + ": status SERVING"},
		{"service serving", []string{"grpc", addr, "--service", "readiness"}, exitOK, "service readiness: status SERVING"},
		{"not serving", []string{"grpc", addr, "--service", "down"}, exitFailure, "unhealthy: status NOT_SERVING"},
		{"unknown status", []string{"grpc", addr, "--service", "unknown-status"}, exitFailure, "unhealthy: status UNKNOWN"},
		{"unknown service", []string{"grpc", addr, "--service", "nope"}, exitFailure, "service nope: unknown service"},
		{"hostile service name escaped", []string{"grpc", addr, "--service", "\x1b[2Jhostile"}, exitFailure, `service \x1b[2Jhostile: unhealthy`},
		{"metadata and user agent sent", []string{"grpc", addr, "--service", "needs-token", "--header", "X-Token: s3cret"}, exitOK, "status SERVING"},
		{"metadata missing", []string{"grpc", addr, "--service", "needs-token"}, exitFailure, "unhealthy: status NOT_SERVING"},
		{"refused", []string{"grpc", refusedAddr(t)}, exitFailure, "connection failure: connection refused"},
		{"timeout", []string{"grpc", hangingAddr, "--timeout", "100ms"}, exitFailure, "timeout: no answer within 100ms"},
		{"no health service", []string{"grpc", noHealth}, exitFailure, "RPC failure: the server does not implement grpc.health.v1.Health"},
		{"TLS on, verified with --ca-cert", []string{"grpc", tlsAddr, "--tls", "--ca-cert", ca, "--service", "readiness"}, exitOK, "status SERVING"},
		{"TLS on, --insecure-skip-verify", []string{"grpc", tlsAddr, "--tls", "--insecure-skip-verify"}, exitOK, "status SERVING"},
		{"TLS on, unknown authority", []string{"grpc", tlsAddr, "--tls"}, exitFailure, "unknown authority"},
		{"TLS off: plaintext to a TLS server", []string{"grpc", tlsAddr}, exitFailure, "connection failure: "},
		{"TLS off: TLS to a plaintext server", []string{"grpc", addr, "--tls", "--insecure-skip-verify"}, exitFailure, "does not look like a TLS handshake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := probe(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			where := stdout
			if tt.code != exitOK {
				where = stderr
			}
			if !strings.Contains(where, tt.want) {
				t.Errorf("want %q in\nstdout: %s\nstderr: %s", tt.want, stdout, stderr)
			}
			all := stdout + stderr
			if strings.Contains(all, "s3cret") || strings.ContainsRune(all, 0x1b) || strings.Count(all, "\n") != 1 {
				t.Errorf("want one line without secrets or raw escapes:\nstdout: %q\nstderr: %q", stdout, stderr)
			}
		})
	}
}
