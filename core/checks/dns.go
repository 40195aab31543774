package checks

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/probekit/probekit/core"
)

// DNSOptions configures [DNS]. The zero value is ready to use.
type DNSOptions struct {
	// Resolver performs the lookup. Default: net.DefaultResolver, which
	// follows the system configuration (/etc/hosts, /etc/resolv.conf).
	Resolver *net.Resolver
}

// DNS returns a check that resolves host with the configured resolver and
// passes when it yields at least one address. Use it for a dependency whose
// name must resolve (a Kubernetes Service, a database endpoint) to tell a
// DNS outage apart from the dependency being down.
//
// The lookup is bounded by the context's deadline, or by core.DefaultTimeout
// if it has none. Failures read "dns db.internal: no such host" or
// "dns db.internal: timeout after 800ms". DNS returns an error if host is
// empty or is not a host name (a URL, user info, a name with a port, a
// control character); the error does not repeat host.
func DNS(host string, opts DNSOptions) (core.CheckFunc, error) {
	if err := validateHost(host); err != nil {
		return nil, fmt.Errorf("checks: DNS: %w", err)
	}
	res := opts.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	label := "dns " + host
	return func(ctx context.Context) error {
		ctx, cancel, budget := bound(ctx)
		defer cancel()
		addrs, err := res.LookupHost(ctx, host)
		if err != nil {
			return failure(ctx, label, budget, err)
		}
		if len(addrs) == 0 {
			return core.Unhealthy(label+": no addresses", errors.New("lookup returned no addresses"))
		}
		return nil
	}, nil
}
