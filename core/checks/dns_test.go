package checks_test

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

// fakeDNS is a loopback DNS server: names starting with "missing" do not
// exist, names starting with "silent" get no answer at all, every other
// name has the A record 127.0.0.1 (and no AAAA record).
func fakeDNS(t *testing.T) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := dnsAnswer(buf[:n]); resp != nil {
				_, _ = pc.WriteTo(resp, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	addr := pc.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", addr)
		},
	}
}

// dnsAnswer builds the response to query, or nil for no response.
func dnsAnswer(query []byte) []byte {
	if len(query) < 12 {
		return nil
	}
	// The question: labels up to the root label, then type and class.
	end := 12
	var name strings.Builder
	for end < len(query) && query[end] != 0 {
		l := int(query[end])
		if end+1+l > len(query) {
			return nil
		}
		name.Write(query[end+1 : end+1+l])
		name.WriteByte('.')
		end += 1 + l
	}
	end += 5 // root label, type, class
	if end > len(query) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(query[end-4:])
	host := name.String()
	if strings.HasPrefix(host, "silent") {
		return nil
	}
	resp := append([]byte(nil), query[:end]...)
	flags := uint16(0x8180) // response, recursion desired and available
	var answers uint16
	switch {
	case strings.HasPrefix(host, "missing"):
		flags |= 3 // NXDOMAIN
	case qtype == 1: // A
		answers = 1
		resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1)
	}
	binary.BigEndian.PutUint16(resp[2:], flags)
	binary.BigEndian.PutUint16(resp[4:], 1)
	binary.BigEndian.PutUint16(resp[6:], answers)
	binary.BigEndian.PutUint16(resp[8:], 0)
	binary.BigEndian.PutUint16(resp[10:], 0)
	return resp
}

func TestDNS(t *testing.T) {
	t.Parallel()
	res := fakeDNS(t)
	tests := []struct {
		host    string
		timeout time.Duration
		want    string // "" means healthy
	}{
		{host: "db.probekit.test"},
		{host: "missing.probekit.test", want: "dns missing.probekit.test: no such host"},
		{host: "silent.probekit.test", timeout: 200 * time.Millisecond, want: "dns silent.probekit.test: timeout after"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			check := must(t)(checks.DNS(tt.host, checks.DNSOptions{Resolver: res}))
			err := call(check, tt.timeout)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("check = %v, want healthy", err)
				}
				return
			}
			if ce := mustFail(t, err); !strings.HasPrefix(ce.Reason, tt.want) {
				t.Fatalf("reason = %q, want %q", ce.Reason, tt.want)
			}
		})
	}
}

func TestDNSDefaultResolverReadsHostsFile(t *testing.T) {
	t.Parallel()
	check := must(t)(checks.DNS("localhost", checks.DNSOptions{}))
	if err := check(context.Background()); err != nil {
		t.Fatalf("localhost: %v", err)
	}
}

func TestDNSOptionErrors(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"", "db.internal:5432", "https://db.internal", "a b", strings.Repeat("a", 254)} {
		if fn, err := checks.DNS(host, checks.DNSOptions{}); err == nil || fn != nil {
			t.Errorf("DNS(%q) = %v, want an error and no check", host, err)
		}
	}
}
