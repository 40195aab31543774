package recipes_test

import (
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/recipes"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

// No Kafka runs here: the recipe runs against a port where nothing listens,
// with SASL credentials that must not show.
func TestKafkaUnreachable(t *testing.T) {
	t.Parallel()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(closedAddr(t)),
		kgo.SASL(plain.Auth{User: "probekit", Pass: secret}.AsMechanism()),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	probe(t, func(h *core.Registry) error { return recipes.Kafka(h, cl) }).failed(t, "connection refused", secret)
}
