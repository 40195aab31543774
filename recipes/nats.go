package recipes

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/probekit/probekit/core"
)

// NATS registers the readiness check of a nats.go connection
// (github.com/nats-io/nats.go). A connection that is not CONNECTED
// (RECONNECTING, CLOSED, DRAINING_PUBS...) fails at once with its status as
// the reason, without a round trip; a connected one must answer a PING with
// a PONG before the deadline ([nats.Conn.FlushWithContext], which needs the
// deadline the registry puts on ctx), which a half-open TCP connection
// that nats.go still believes in does not.
//
// The check is critical; make it Optional when the service can serve
// without NATS (nats.go buffers publishes while it reconnects, up to
// ReconnectBufSize). It returns Register's error.
func NATS(h *core.Registry, nc *nats.Conn) error {
	if err := h.Register(core.Check{
		Name: "nats",
		Check: func(ctx context.Context) error {
			if s := nc.Status(); s != nats.CONNECTED {
				return core.Unhealthy("nats: "+s.String(), nil) // RECONNECTING, CLOSED: known without a round trip
			}
			return nc.FlushWithContext(ctx) // PING → PONG on the service's own connection
		},
		Timeout:  time.Second,
		Interval: 5 * time.Second,
	}); err != nil {
		return err
	}
	return nil
}
