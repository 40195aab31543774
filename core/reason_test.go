package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// pgError has the method set that pgx's *pgconn.PgError and lib/pq's
// *pq.Error share; core cannot import either.
type pgError struct{ code, msg string }

func (e *pgError) Error() string    { return "FATAL: " + e.msg + " (SQLSTATE " + e.code + ")" }
func (e *pgError) SQLState() string { return e.code }

// panickySQLState is a driver error whose SQLState method panics.
type panickySQLState struct{}

func (panickySQLState) Error() string    { return "no words we know" }
func (panickySQLState) SQLState() string { panic("boom") }

func TestReason(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"check error", fmt.Errorf("wrapped: %w", Unhealthy("redis: auth", errors.New("password=x"))), "redis: auth"},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), "timeout"},
		{"canceled", ctx.Err(), "canceled"},
		{"refused", refusedDial(t), "connection refused"},
		{"closed conn", closedConnRead(t), "connection closed"},
		{"eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "connection closed"},
		{"dns not found", &net.DNSError{Err: "no such host", Name: "db.invalid", IsNotFound: true}, "no such host"},
		{"dns timeout", &net.DNSError{Err: "i/o timeout", Name: "db", IsTimeout: true}, "dns timeout"},
		{"dns other", &net.DNSError{Err: "server misbehaving", Name: "db"}, "dns lookup failed"},
		{"tls unknown authority", tlsDial(t, tlsUntrusted), "tls: certificate signed by unknown authority"},
		{"tls wrong host", tlsDial(t, tlsWrongHost), "tls: certificate is not valid for the host"},
		{"tls expired", tlsDial(t, tlsExpired), "tls: certificate expired or not yet valid"},
		{"tls to plain server", tlsDial(t, tlsPlainServer), "tls: server did not answer with TLS"},
		{"tls alert from server", tlsDial(t, tlsClientCertRequired), "tls: handshake rejected by server"},
		{"sqlstate auth", &pgError{"28P01", `password authentication failed for user "app"`}, "authentication failed"},
		{"sqlstate unknown role", fmt.Errorf("connect: %w", &pgError{"28000", `role "x" does not exist`}), "authentication failed"},
		{"sqlstate missing db", &pgError{"3D000", `database "x" does not exist`}, "database does not exist"},
		{"sqlstate missing table", &pgError{"42P01", `relation "x" does not exist`}, "undefined table"},
		{"sqlstate too many", &pgError{"53300", "sorry, too many clients already"}, "too many connections"},
		{"sqlstate starting", &pgError{"57P03", "the database system is starting up"}, "cannot connect now (starting up)"},
		{"sqlstate class", &pgError{"42P10", "invalid column reference"}, "query error (SQLSTATE 42P10)"},
		{"sqlstate unknown class", &pgError{"Z0123", "custom"}, "database error (SQLSTATE Z0123)"},
		{"sqlstate not a code", &pgError{"x'--", "password=hunter2"}, "failed"},
		{"sqlstate panics", panickySQLState{}, "failed"},
		{"mysql auth", errors.New("Error 1045 (28000): Access denied for user 'app'@'localhost' (using password: YES)"), "authentication failed"},
		{"mysql missing db", errors.New("Error 1049 (42000): Unknown database 'nope'"), "database does not exist"},
		{"mysql missing table", errors.New("Error 1146 (42S02): Table 'test.nope' doesn't exist"), "undefined table"},
		{"text refused", errors.New("password=hunter2 connection refused"), "connection refused"},
		{"text timeout", errors.New("read tcp: i/o timeout"), "timeout"},
		{"text tls", errors.New("tls: handshake failure"), "tls error"},
		{"text certificate", errors.New("x509: certificate has expired"), "tls certificate error"},
		{"text sslmode", errors.New("cannot parse `postgres://app:hunter2@db/x?sslmode=on`: failed to configure TLS (sslmode is invalid)"), "invalid configuration"},
		{"text mysql dsn", errors.New("invalid DSN: missing the slash separating the database name"), "invalid configuration"},
		{"text protocol", errors.New("protocol violation"), "failed"},
		{"text title", errors.New("bad title"), "failed"},
		{"text attls", errors.New("attls handshake"), "failed"},
		{"text eof inside a word", errors.New("geofence unavailable"), "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Reason(tt.err); got != tt.want {
				t.Errorf("Reason(%T %q) = %q, want %q", tt.err, errText(tt.err), got, tt.want)
			}
		})
	}
}

func errText(err error) string {
	s, _ := safeErrorText(err)
	return s
}

// refusedDial dials a loopback port that nothing listens on.
func refusedDial(t *testing.T) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
		t.Fatal("dial to a closed port succeeded")
	}
	return err
}

// closedConnRead reads from a connection after closing it.
func closedConnRead(t *testing.T) error {
	t.Helper()
	a, b := net.Pipe()
	b.Close()
	a.Close()
	_, err := a.Read(make([]byte, 1))
	return err
}

type tlsFailure int

const (
	tlsUntrusted tlsFailure = iota
	tlsWrongHost
	tlsExpired
	tlsPlainServer
	tlsClientCertRequired
)

// tlsDial makes a real TLS handshake against a loopback server set up to
// fail in the way f says, and returns the client's error.
func tlsDial(t *testing.T, f tlsFailure) error {
	t.Helper()
	cfg := &tls.Config{}
	var addr string
	switch f {
	case tlsUntrusted, tlsWrongHost:
		srv := httptest.NewTLSServer(nil)
		t.Cleanup(srv.Close)
		addr = srv.Listener.Addr().String()
		if f == tlsWrongHost {
			cfg.RootCAs = x509.NewCertPool()
			cfg.RootCAs.AddCert(srv.Certificate())
			cfg.ServerName = "not-the-host.example"
		}
	case tlsPlainServer:
		srv := httptest.NewServer(nil)
		t.Cleanup(srv.Close)
		addr = srv.Listener.Addr().String()
	case tlsExpired, tlsClientCertRequired:
		cert, leaf := selfSigned(t, f == tlsExpired)
		scfg := &tls.Config{Certificates: []tls.Certificate{cert}}
		if f == tlsClientCertRequired {
			scfg.ClientAuth = tls.RequireAnyClientCert
		}
		ln, err := tls.Listen("tcp", "127.0.0.1:0", scfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_ = c.(*tls.Conn).Handshake()
				c.Close()
			}
		}()
		addr = ln.Addr().String()
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AddCert(leaf)
		cfg.ServerName = "127.0.0.1"
	}
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	// With TLS 1.3 the server rejects a client certificate after the
	// client's side of the handshake is done: the alert comes with the
	// first read.
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != nil {
		return err
	}
	t.Fatalf("tls failure %d: handshake and read succeeded", f)
	return nil
}

// selfSigned returns a certificate for 127.0.0.1, expired if asked.
func selfSigned(t *testing.T, expired bool) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notAfter := time.Now().Add(time.Hour)
	if expired {
		notAfter = time.Now().Add(-time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "probekit test"},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// Reason never returns raw error text, whatever the error says.
func TestReasonNeverRawText(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"password=hunter2", "hunter2: connection refused", "tls hunter2", "Error 9999 (HUNTR): hunter2"} {
		if got := Reason(errors.New(text)); strings.Contains(got, "hunter2") {
			t.Errorf("Reason(%q) = %q", text, got)
		}
	}
}
