package checks

import (
	"context"
	"fmt"
	"net"

	"github.com/probekit/probekit/core"
)

// TCPOptions configures [TCP]. The zero value is ready to use.
type TCPOptions struct {
	// Name labels the dependency in failure reasons, followed by the
	// address: "nats 10.0.0.9:4222: connection refused". Default: "tcp".
	// A name that looks like a connection string ("@", "=" or "://"),
	// holds a control character or is longer than 128 bytes is an error:
	// reasons are shown to anyone who can reach a probe.
	Name string
}

// TCP returns a check that opens a TCP connection to addr ("host:port") and
// closes it again. It proves that something accepts connections there, not
// that it answers: a server that accepts and then hangs passes. Prefer a
// protocol check ([Redis], [HTTP], [SQL], [NATS], [AMQP], [MQTT]) where one
// exists.
//
// The connection attempt is bounded by the context's deadline, or by
// core.DefaultTimeout if it has none. TCP returns an error if addr is not a
// valid "host:port" (a host name or an IP address, IPv6 in brackets, and a
// port number in 1-65535; a URL or user info is refused with an error that
// does not repeat it) or Name is not a valid name.
func TCP(addr string, opts TCPOptions) (core.CheckFunc, error) {
	if err := validateAddr(addr, "a TCP check sends no credentials"); err != nil {
		return nil, fmt.Errorf("checks: TCP: %w", err)
	}
	if err := validateName("TCPOptions.Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: TCP: %w", err)
	}
	label := labelOr(opts.Name, "tcp") + " " + addr
	var d net.Dialer
	return func(ctx context.Context) error {
		ctx, cancel, budget := bound(ctx)
		defer cancel()
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return failure(ctx, label, budget, err)
		}
		return conn.Close()
	}, nil
}

// labelOr returns name, or def when name is empty.
func labelOr(name, def string) string {
	if name == "" {
		return def
	}
	return name
}
