package checks

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// dialConn opens the connection of one check run to addr. The connection
// honours ctx for its whole life: its deadline directly, its cancellation
// by moving the deadline into the past, which unblocks any read or write at
// once. With cfg non-nil, the TLS handshake is done before dialConn returns.
// The caller must call release, then close the connection.
func dialConn(ctx context.Context, d *net.Dialer, addr string, cfg *tls.Config) (_ net.Conn, release func(), err error) {
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	release = func() { stop() }
	if cfg != nil {
		tc, err := startTLS(ctx, conn, cfg)
		if err != nil {
			release()
			conn.Close()
			return nil, nil, err
		}
		conn = tc
	}
	return conn, release, nil
}

// startTLS runs the client side of a TLS handshake on conn, bounded by ctx.
func startTLS(ctx context.Context, conn net.Conn, cfg *tls.Config) (net.Conn, error) {
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return tc, nil
}

// clientTLS returns a private copy of cfg for connections to addr, with
// ServerName defaulting to addr's host, or nil when cfg is nil.
func clientTLS(cfg *tls.Config, addr string) *tls.Config {
	if cfg == nil {
		return nil
	}
	c := cfg.Clone()
	if c.ServerName == "" {
		c.ServerName, _, _ = net.SplitHostPort(addr)
	}
	return c
}
