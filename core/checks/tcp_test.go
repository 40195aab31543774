package checks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

func TestTCP(t *testing.T) {
	t.Parallel()
	open := serve(t, nil, drain).Addr()
	closed := closedAddr(t)
	tests := []struct {
		name, addr string
		opts       checks.TCPOptions
		want       string // "" means healthy
	}{
		{name: "open", addr: open},
		{name: "refused", addr: closed, want: "tcp " + closed + ": connection refused"},
		{name: "named", addr: closed, opts: checks.TCPOptions{Name: "nats"}, want: "nats " + closed + ": connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check := must(t)(checks.TCP(tt.addr, tt.opts))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := check(ctx)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("check = %v, want healthy", err)
				}
				return
			}
			if ce := mustFail(t, err); ce.Reason != tt.want {
				t.Fatalf("reason = %q, want %q", ce.Reason, tt.want)
			}
		})
	}
}

func TestTCPOptionErrors(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"", "localhost", "127.0.0.1:", "[::1"} {
		if fn, err := checks.TCP(addr, checks.TCPOptions{}); err == nil || fn != nil || !strings.Contains(err.Error(), "checks: TCP: address") {
			t.Errorf("TCP(%q) = %v, want an address error and no check", addr, err)
		}
	}
}
