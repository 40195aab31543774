package conformance_test

import (
	"testing"

	"github.com/probekit/probekit/core/conformance"
)

// TestNetHTTP runs the suite against core's own net/http handler, the
// reference every adapter is compared with.
func TestNetHTTP(t *testing.T) {
	t.Parallel()
	conformance.Run(t, conformance.NetHTTP)
}
