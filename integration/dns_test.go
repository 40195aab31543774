package integration_test

import (
	"context"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// TestDNSSystemResolver uses the machine's resolver: .invalid names never
// resolve (RFC 6761), localhost always does.
func TestDNSSystemResolver(t *testing.T) {
	t.Parallel()
	missing := randomSecret(t) + ".invalid"
	tests := []struct {
		host string
		want string // "" means healthy
	}{
		{host: "localhost"},
		{host: missing, want: "dns " + missing + ": no such host"},
	}
	for _, tt := range tests {
		check := must(t)(checks.DNS(tt.host, checks.DNSOptions{}))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := check(ctx)
		cancel()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want healthy", tt.host, err)
		case tt.want != "" && core.Reason(err) != tt.want:
			t.Errorf("%s: reason %q (error %v), want %q", tt.host, core.Reason(err), err, tt.want)
		}
	}
}
