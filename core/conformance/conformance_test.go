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

// TestDrainHijack runs the hijacked-connection cases against core's own
// Drain and Serve.
func TestDrainHijack(t *testing.T) {
	t.Parallel()
	conformance.Hijack(t, conformance.NetHTTPHijack)
}
