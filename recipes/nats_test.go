package recipes_test

import (
	"net/url"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/recipes"
)

func TestNATS(t *testing.T) {
	t.Parallel()
	natsURL := func(addr string) string {
		// The shared server asks for no credentials and ignores these; a
		// failing check must not show them either.
		return (&url.URL{Scheme: "nats", User: url.UserPassword("probekit", secret), Host: addr}).String()
	}
	t.Run("healthy", func(t *testing.T) {
		t.Parallel()
		nc := connectNATS(t, natsURL(serverAddr(t, "PROBEKIT_NATS_ADDR")))
		probe(t, func(h *core.Registry) error { return recipes.NATS(h, nc) }).healthy(t)
	})
	t.Run("server away: reconnecting", func(t *testing.T) {
		t.Parallel()
		// RetryOnFailedConnect: Connect returns a connection that keeps
		// dialing, as one does after its server went away.
		nc := connectNATS(t, natsURL(closedAddr(t)), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
		probe(t, func(h *core.Registry) error { return recipes.NATS(h, nc) }).failed(t, "nats: RECONNECTING", secret)
	})
	t.Run("closed connection", func(t *testing.T) {
		t.Parallel()
		nc := connectNATS(t, natsURL(serverAddr(t, "PROBEKIT_NATS_ADDR")))
		nc.Close()
		probe(t, func(h *core.Registry) error { return recipes.NATS(h, nc) }).failed(t, "nats: CLOSED", secret)
	})
}

// connectNATS connects to u, and closes the connection at cleanup.
func connectNATS(t *testing.T, u string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(u, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
