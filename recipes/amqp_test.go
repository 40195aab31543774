package recipes_test

import (
	"net/url"
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/recipes"
	amqp "github.com/rabbitmq/amqp091-go"
)

func TestAMQP(t *testing.T) {
	t.Parallel()
	// guest/guest: RabbitMQ's default user, which the shared server keeps.
	const user, password = "guest", "guest"
	dial := func(t *testing.T) *amqp.Connection {
		t.Helper()
		addr := serverAddr(t, "PROBEKIT_AMQP_ADDR")
		u := &url.URL{Scheme: "amqp", User: url.UserPassword(user, password), Host: addr, Path: "/"}
		conn, err := amqp.Dial(u.String())
		if err != nil {
			unavailable(t, "PROBEKIT_AMQP_ADDR: %s: no AMQP connection as %s: %v", addr, user, err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	t.Run("healthy", func(t *testing.T) {
		t.Parallel()
		conn := dial(t)
		probe(t, func(h *core.Registry) error { return recipes.AMQP(h, conn) }).healthy(t)
		// The check closed its channel: the connection still opens one.
		ch, err := conn.Channel()
		if err != nil {
			t.Fatalf("after the check: %v", err)
		}
		ch.Close()
	})
	t.Run("closed connection", func(t *testing.T) {
		t.Parallel()
		conn := dial(t)
		conn.Close()
		probe(t, func(h *core.Registry) error { return recipes.AMQP(h, conn) }).failed(t, "rabbitmq: connection closed", password, "amqp://")
	})
}
