package recipes

import (
	"context"
	"time"

	"github.com/probekit/probekit/core"
	amqp "github.com/rabbitmq/amqp091-go"
)

// AMQP registers the readiness check of an amqp091-go connection to
// RabbitMQ (github.com/rabbitmq/amqp091-go). A closed connection fails at
// once: amqp091-go does not reconnect, so the service must dial again, and
// the reason says so. An open one must open and close a channel
// (Channel.Open → Channel.OpenOk, Channel.Close → Channel.CloseOk), a round
// trip the broker answers only while it serves this connection; the
// channel is the check's own, so the service's channels are untouched.
//
// [amqp.Connection.Channel] takes no context: against a broker that stops
// answering, the call lasts until the heartbeat (10 s by default) closes
// the connection, and the registry abandons it at Timeout meanwhile (the
// next runs fail at once, "still running", rather than piling up).
//
// The check is critical; make it Optional when the service can serve
// without the broker. It returns Register's error.
func AMQP(h *core.Registry, conn *amqp.Connection) error {
	if err := h.Register(core.Check{
		Name: "rabbitmq",
		Check: func(context.Context) error {
			if conn.IsClosed() {
				return core.Unhealthy("rabbitmq: connection closed, dial again", nil)
			}
			ch, err := conn.Channel() // Channel.Open → OpenOk: the broker serves this connection
			if err != nil {
				return err
			}
			return ch.Close()
		},
		Timeout:  time.Second,
		Interval: 5 * time.Second,
	}); err != nil {
		return err
	}
	return nil
}
