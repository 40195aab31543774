package checks_test

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

const natsInfo = `INFO {"server_id":"test","version":"2.9.10","proto":1,"max_payload":1048576}` + "\r\n"

// natsConnectArgs is what the fake servers read from CONNECT.
type natsConnectArgs struct {
	Verbose     bool   `json:"verbose"`
	Pedantic    bool   `json:"pedantic"`
	TLSRequired bool   `json:"tls_required"`
	User        string `json:"user"`
	Pass        string `json:"pass"`
	AuthToken   string `json:"auth_token"`
}

// natsServer greets with info, reads CONNECT and PING, and answers with
// reply(CONNECT's arguments); "" closes the connection, and so does a
// reply that does not end a line. With tlsCfg
// non-nil, it switches to TLS after INFO.
func natsServer(info string, tlsCfg *tls.Config, reply func(natsConnectArgs) string) func(net.Conn) {
	return func(c net.Conn) {
		if _, err := io.WriteString(c, info); err != nil {
			return
		}
		if tlsCfg != nil {
			tc := tls.Server(c, tlsCfg)
			defer tc.Close()
			c = tc
		}
		br := bufio.NewReader(c)
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		var args natsConnectArgs
		body, ok := strings.CutPrefix(strings.TrimSpace(line), "CONNECT ")
		if !ok || json.Unmarshal([]byte(body), &args) != nil || args.Verbose || args.Pedantic {
			_, _ = io.WriteString(c, "-ERR 'Unknown Protocol Operation'\r\n")
			return
		}
		if ping, err := br.ReadString('\n'); err != nil || ping != "PING\r\n" {
			return
		}
		r := reply(args)
		if r == "" {
			return
		}
		if _, err := io.WriteString(c, r); err != nil || !strings.HasSuffix(r, "\n") {
			return // a reply cut mid-line closes the connection
		}
		drain(c)
	}
}

func natsPong(natsConnectArgs) string { return "PONG\r\n" }

// natsAuth accepts the user "app" with testPassword, or the token testToken.
func natsAuth(a natsConnectArgs) string {
	if a.User == "app" && a.Pass == testPassword || a.AuthToken == testToken {
		return "PONG\r\n"
	}
	return "-ERR 'Authorization Violation'\r\n"
}

const testToken = "t0ken-7c1f"

func TestNATS(t *testing.T) {
	t.Parallel()
	tlsServer, trusted := selfSigned(t)
	tlsInfo := `INFO {"server_id":"test","tls_required":true}` + "\r\n"
	tests := []struct {
		name    string
		tls     *tls.Config // server side, from the start
		handle  func(net.Conn)
		addr    string // instead of a server
		opts    checks.NATSOptions
		timeout time.Duration
		want    string // reason after "nats ADDR: "; "" means healthy
	}{
		{name: "pong", handle: natsServer(natsInfo, nil, natsPong)},
		{name: "user and password", handle: natsServer(natsInfo, nil, natsAuth),
			opts: checks.NATSOptions{Username: "app", Password: testPassword}},
		{name: "token", handle: natsServer(natsInfo, nil, natsAuth),
			opts: checks.NATSOptions{Token: testToken}},
		{name: "wrong password", handle: natsServer(natsInfo, nil, natsAuth),
			opts: checks.NATSOptions{Username: "app", Password: "wrong-" + testPassword},
			want: "authentication failed (Authorization Violation)"},
		{name: "no credentials", handle: natsServer(natsInfo, nil, natsAuth),
			want: "authentication failed (Authorization Violation)"},
		{name: "too many connections", handle: natsServer(natsInfo, nil, func(natsConnectArgs) string {
			return "-ERR 'maximum connections exceeded'\r\n"
		}), want: "too many connections"},
		{name: "unknown server error", handle: natsServer(natsInfo, nil, func(natsConnectArgs) string {
			return "-ERR 'Something \x1b[2J odd'\r\n"
		}), want: "server error"},
		{name: "server ping and info first", handle: natsServer(natsInfo, nil, func(natsConnectArgs) string {
			return "INFO {\"connect_urls\":[\"10.0.0.1:4222\"]}\r\nPING\r\n+OK\r\nPONG\r\n"
		})},
		{name: "no pong among many lines", handle: natsServer(natsInfo, nil, func(natsConnectArgs) string {
			return strings.Repeat("+OK\r\n", 20)
		}), want: "unexpected reply (not NATS?)"},
		{name: "unexpected reply", handle: natsServer(natsInfo, nil, func(natsConnectArgs) string {
			return "MSG foo 1 2\r\nhi\r\n"
		}), want: "unexpected reply (not NATS?)"},
		{name: "error greeting", handle: func(c net.Conn) {
			_, _ = io.WriteString(c, "-ERR 'maximum connections exceeded'\r\n")
		}, want: "too many connections"},
		{name: "not nats", handle: func(c net.Conn) {
			_, _ = io.WriteString(c, "+OK redis-ish\r\n")
			drain(c)
		}, want: "unexpected greeting (not NATS?)"},
		{name: "info not json", handle: func(c net.Conn) {
			_, _ = io.WriteString(c, "INFO {not json\r\n")
			drain(c)
		}, want: "unexpected greeting (not NATS?)"},
		{name: "long info", handle: natsServer(`INFO {"connect_urls":["`+strings.Repeat(`10.0.0.1:4222","`, 600)+`"]}`+"\r\n", nil, natsPong)},
		{name: "endless info", handle: func(c net.Conn) {
			_, _ = io.WriteString(c, "INFO {"+strings.Repeat("x", 64<<10))
			drain(c)
		}, want: "unexpected reply (not NATS?)"},
		{name: "never greets", handle: drain, timeout: 200 * time.Millisecond, want: "timeout"},
		{name: "never answers ping", handle: natsServer(natsInfo, nil, func(natsConnectArgs) string {
			return "+OK\r\n"
		}), timeout: 200 * time.Millisecond, want: "timeout"},
		{name: "cut mid-reply", handle: natsServer(natsInfo, nil, func(natsConnectArgs) string {
			return "PO"
		}), want: "connection closed"},
		{name: "cut mid-greeting", handle: func(c net.Conn) {
			_, _ = io.WriteString(c, natsInfo[:10])
		}, want: "connection closed"},
		{name: "refused", addr: closedAddr(t), want: "connection refused"},
		{name: "server requires tls", handle: natsServer(tlsInfo, nil, natsPong),
			want: "server requires TLS"},
		{name: "tls", handle: natsServer(tlsInfo, tlsServer, natsPong),
			opts: checks.NATSOptions{TLS: &tls.Config{RootCAs: trusted}}},
		{name: "tls with token", handle: natsServer(tlsInfo, tlsServer, natsAuth),
			opts: checks.NATSOptions{Token: testToken, TLS: &tls.Config{RootCAs: trusted}}},
		{name: "tls unknown authority", handle: natsServer(tlsInfo, tlsServer, natsPong),
			opts: checks.NATSOptions{TLS: &tls.Config{}},
			want: "tls: certificate signed by unknown authority"},
		{name: "tls handshake first", tls: tlsServer, handle: natsServer(tlsInfo, nil, natsPong),
			opts: checks.NATSOptions{TLS: &tls.Config{RootCAs: trusted}, TLSHandshakeFirst: true}},
		{name: "tls handshake first to a plain server", handle: natsServer(natsInfo, nil, natsPong),
			opts: checks.NATSOptions{TLS: &tls.Config{RootCAs: trusted}, TLSHandshakeFirst: true},
			want: "tls: server did not answer with TLS"},
		{name: "tls not offered", handle: natsServer(natsInfo, nil, natsPong),
			opts: checks.NATSOptions{TLS: &tls.Config{RootCAs: trusted}},
			want: "tls: server does not offer TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := tt.addr
			if addr == "" {
				addr = serve(t, tt.tls, tt.handle).Addr()
			}
			check := must(t)(checks.NATS(addr, tt.opts))
			err := call(check, tt.timeout)
			ce := wantReason(t, err, "nats "+addr+": ", tt.want)
			if ce == nil {
				return
			}
			if ce.Degraded {
				t.Error("a failed NATS check must not be merely degraded")
			}
			for _, secret := range []string{testPassword, testToken} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks a secret", err)
				}
			}
		})
	}
}

func TestNATSScrubsEchoedSecrets(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil, natsServer(natsInfo, nil, func(a natsConnectArgs) string {
		return "-ERR 'Authorization Violation for " + a.User + ":" + a.Pass + a.AuthToken + "'\r\n"
	}))
	for _, opts := range []checks.NATSOptions{{Username: "app", Password: testPassword}, {Token: testToken}} {
		err := call(must(t)(checks.NATS(srv.Addr(), opts)), 0)
		ce := mustFail(t, err)
		if want := "nats " + srv.Addr() + ": server error"; ce.Reason != want {
			t.Fatalf("reason = %q, want %q", ce.Reason, want)
		}
		msg := err.Error()
		if strings.Contains(msg, testPassword) || strings.Contains(msg, testToken) || !strings.Contains(msg, "[redacted]") {
			t.Fatalf("error = %q, want the echoed secret replaced by [redacted]", msg)
		}
	}
}

func TestNATSOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		opts checks.NATSOptions
		want string
	}{
		{addr: "nats://127.0.0.1:4222", want: "not a URL"},
		{addr: "127.0.0.1", want: "address"},
		{addr: "127.0.0.1:4222", opts: checks.NATSOptions{Name: "a=b"}, want: "NATSOptions.Name"},
		{addr: "127.0.0.1:4222", opts: checks.NATSOptions{Username: "app"}, want: "NATSOptions.Username requires NATSOptions.Password"},
		{addr: "127.0.0.1:4222", opts: checks.NATSOptions{Password: "pw"}, want: "NATSOptions.Password requires NATSOptions.Username"},
		{addr: "127.0.0.1:4222", opts: checks.NATSOptions{Username: "app", Password: "pw", Token: "t"}, want: "NATSOptions.Token"},
		{addr: "127.0.0.1:4222", opts: checks.NATSOptions{TLSHandshakeFirst: true}, want: "NATSOptions.TLSHandshakeFirst requires NATSOptions.TLS"},
		// CONNECT is JSON, which would silently send U+FFFD for each byte
		// of invalid UTF-8: a different credential than configured.
		{addr: "127.0.0.1:4222", opts: checks.NATSOptions{Username: "app", Password: "pw\xff"}, want: "NATSOptions.Password"},
		{addr: "127.0.0.1:4222", opts: checks.NATSOptions{Username: "\xc3", Password: "pw"}, want: "NATSOptions.Username"},
		{addr: "127.0.0.1:4222", opts: checks.NATSOptions{Token: "t\xed\xa0\x80"}, want: "NATSOptions.Token"},
	}
	for _, tt := range tests {
		fn, err := checks.NATS(tt.addr, tt.opts)
		if err == nil || fn != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NATS(%q, %+v) = %v, want an error containing %q and no check", tt.addr, tt.opts, err, tt.want)
		}
	}
}
