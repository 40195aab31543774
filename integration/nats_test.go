package integration_test

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/probekit/probekit/core/checks"
)

// natsServerPath is the nats-server binary the auth and TLS tests start.
const natsServerPath = "nats-server"

func TestNATSServer(t *testing.T) {
	t.Parallel()
	addr := serverAddr(t, "PROBEKIT_NATS_ADDR")
	for _, opts := range []checks.NATSOptions{{}, {Name: "events"}} {
		check := must(t)(checks.NATS(addr, opts))
		if err := check(ctxFor(t, healthyTimeout)); err != nil {
			t.Errorf("NATS check with %+v: %v", opts, err)
		}
	}
	// A TCP dial passes too, but proves less: the NATS check also fails a
	// server that accepts and never answers (TestFaults).
	if err := must(t)(checks.TCP(addr, checks.TCPOptions{Name: "nats"}))(ctxFor(t, healthyTimeout)); err != nil {
		t.Errorf("TCP check: %v", err)
	}
}

// TestNATSServerAuth runs the check against nats-servers of its own that
// require a user and password, a token, or TLS.
func TestNATSServerAuth(t *testing.T) {
	t.Parallel()
	userAddr := localServer(t, natsServerPath, func(port string) []string {
		return []string{"-a", "127.0.0.1", "-p", port, "--user", "u", "--pass", "p"}
	})
	tokenAddr := localServer(t, natsServerPath, func(port string) []string {
		return []string{"-a", "127.0.0.1", "-p", port, "--auth", "tok-" + port}
	})
	certFile, keyFile, pool := certificateFiles(t)
	tlsAddr := localServer(t, natsServerPath, func(port string) []string {
		return []string{"-a", "127.0.0.1", "-p", port, "--tls", "--tlscert", certFile, "--tlskey", keyFile}
	})
	_, tokenPort, _ := net.SplitHostPort(tokenAddr)
	tests := []struct {
		name string
		addr string
		opts checks.NATSOptions
		want string
	}{
		{name: "user", addr: userAddr, opts: checks.NATSOptions{Username: "u", Password: "p"}},
		{name: "wrong password", addr: userAddr, opts: checks.NATSOptions{Username: "u", Password: "wrong"},
			want: "authentication failed (Authorization Violation)"},
		{name: "no credentials", addr: userAddr, want: "authentication failed (Authorization Violation)"},
		{name: "token", addr: tokenAddr, opts: checks.NATSOptions{Token: "tok-" + tokenPort}},
		{name: "wrong token", addr: tokenAddr, opts: checks.NATSOptions{Token: "nope"},
			want: "authentication failed (Authorization Violation)"},
		{name: "tls", addr: tlsAddr, opts: checks.NATSOptions{TLS: &tls.Config{RootCAs: pool}}},
		{name: "tls required", addr: tlsAddr, want: "server requires TLS"},
		{name: "tls unknown authority", addr: tlsAddr, opts: checks.NATSOptions{TLS: &tls.Config{}},
			want: "tls: certificate signed by unknown authority"},
		{name: "tls not offered", addr: userAddr,
			opts: checks.NATSOptions{Username: "u", Password: "p", TLS: &tls.Config{RootCAs: pool}},
			want: "tls: server does not offer TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := must(t)(checks.NATS(tt.addr, tt.opts))(ctxFor(t, healthyTimeout))
			wantResult(t, err, "nats "+tt.addr+": ", tt.want, tt.opts.Password, tt.opts.Token)
		})
	}
}
