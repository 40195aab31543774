package recipes

import (
	"time"

	"github.com/probekit/probekit/core"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka registers the readiness check of a franz-go client
// (github.com/twmb/franz-go/pkg/kgo): [kgo.Client.Ping] asks the known
// brokers in turn, then the seeds, until one answers a Metadata request,
// so it proves that the cluster is reachable with this client's TLS and
// SASL settings; it does not prove that a given partition has a leader.
//
// The check is Optional: a producer buffers records while the brokers are
// away (kgo.MaxBufferedRecords), and a consumer that falls behind catches
// up. Make it critical when a request cannot be answered without Kafka.
// The Timeout leaves room for Ping to try a second broker. It returns
// Register's error.
func Kafka(h *core.Registry, cl *kgo.Client) error {
	if err := h.Register(core.Check{
		Name:     "kafka",
		Check:    cl.Ping, // one broker, known or seed, answers Metadata
		Optional: true,    // produce buffers records meanwhile
		Timeout:  2 * time.Second,
		Interval: 10 * time.Second,
	}); err != nil {
		return err
	}
	return nil
}
