package checks_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/probekit/probekit/core/checks"
)

// addrConstructors are the checks that take a "host:port".
var addrConstructors = map[string]func(addr, name string) error{
	"Redis": func(addr, name string) error {
		_, err := checks.Redis(addr, checks.RedisOptions{Name: name})
		return err
	},
	"TCP": func(addr, name string) error {
		_, err := checks.TCP(addr, checks.TCPOptions{Name: name})
		return err
	},
}

func TestAddressValidation(t *testing.T) {
	t.Parallel()
	const secret = "pw-77e1b0"
	tests := []struct {
		addr string
		want string // "" means accepted
	}{
		{addr: "127.0.0.1:6379"},
		{addr: "cache.internal:6379"},
		{addr: "redis-master_0.ns.svc.cluster.local:6379"},
		{addr: ":6379"},
		{addr: "[::1]:6379"},
		{addr: "[fe80::1%eth0]:6379"},
		{addr: "", want: "it is empty"},
		{addr: "127.0.0.1", want: "missing port"},
		{addr: "127.0.0.1:", want: "port is not a number in 1-65535"},
		{addr: "127.0.0.1:0", want: "port is not a number in 1-65535"},
		{addr: "127.0.0.1:65536", want: "port is not a number in 1-65535"},
		{addr: "127.0.0.1:+80", want: "port is not a number in 1-65535"},
		{addr: "127.0.0.1:redis", want: "port is not a number in 1-65535"},
		{addr: "::1:6379", want: "IPv6 in brackets"},
		{addr: "[::1", want: "IPv6 in brackets"},
		{addr: "cache internal:6379", want: "host is not a host name"},
		{addr: "cache/0:6379", want: "host is not a host name"},
		{addr: "cache\x1b[2J:6379", want: "control character U+001B"},
		{addr: "cache\u202e:6379", want: "control character U+202E"},
		{addr: "cache\xff:6379", want: "invalid UTF-8"},
		{addr: strings.Repeat("a", 260) + ":1", want: "longer than"},
		// The secrets of issue 15.7 and their kin: user info, URLs, a
		// password where the port or host belongs.
		{addr: "redis://:" + secret + "@cache:6379", want: "not a URL"},
		{addr: "rediss://cache:6379/0?password=" + secret, want: "not a URL"},
		{addr: "tcp://cache:6379", want: "not a URL"},
		{addr: secret + "@cache:6379", want: "user info (\"@\")"},
		{addr: "app:" + secret + "@cache:6379", want: "user info (\"@\")"},
		{addr: "cache:6379:" + secret, want: "IPv6 in brackets"},
		{addr: "app:" + secret, want: "port is not a number"},
		{addr: secret, want: "missing port"},
	}
	for name, construct := range addrConstructors {
		for _, tt := range tests {
			err := construct(tt.addr, "")
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("%s(%q) = %v, want accepted", name, tt.addr, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("%s(%q) = %v, want an error containing %q", name, tt.addr, err, tt.want)
			case err != nil && strings.Contains(err.Error(), secret):
				t.Errorf("%s(%q): error %q echoes the secret", name, tt.addr, err)
			case err != nil && !strings.HasPrefix(err.Error(), "checks: "+name+": address must be host:port"):
				t.Errorf("%s(%q): error %q does not say what to pass", name, tt.addr, err)
			}
		}
	}
}

// FuzzRedisAddr plants a secret in an arbitrary address, or name, handed to
// Redis and TCP. They must never panic nor echo the secret in an error, and
// accept only a host name or IP address with a port in 1-65535 and nothing
// that looks like credentials.
func FuzzRedisAddr(f *testing.F) {
	for _, seed := range [][2]string{
		{"redis://:", "@cache:6379"},
		{"", "@cache:6379"},
		{"cache:6379:", ""},
		{"[::1]:", ""},
		{"[fe80::1%", "]:6379"},
		{"cache:", ""},
		{"postgres://app:", "@db/orders"},
		{"host=db password=", ""},
		{"cache\x1b", ":1"},
	} {
		f.Add(seed[0], seed[1], false)
		f.Add(seed[0], seed[1], true)
	}
	const secret = "fz-5ecret-9q"
	f.Fuzz(func(t *testing.T, pre, post string, inName bool) {
		addr, name := pre+secret+post, ""
		if inName {
			addr, name = "127.0.0.1:6379", pre+secret+post
		}
		for cname, construct := range addrConstructors {
			err := construct(addr, name)
			if err != nil {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("%s(%q, Name %q): error %q echoes the secret", cname, addr, name, err)
				}
				continue
			}
			if inName {
				if strings.ContainsAny(name, "@=") || strings.Contains(name, "://") {
					t.Fatalf("%s accepted the name %q", cname, name)
				}
				continue
			}
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				t.Fatalf("%s accepted %q: %v", cname, addr, err)
			}
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				t.Fatalf("%s accepted %q with port %q", cname, addr, port)
			}
			if strings.ContainsAny(host, "@/?# ") || strings.Contains(addr, "://") {
				t.Fatalf("%s accepted %q", cname, addr)
			}
			if i := printableASCII(addr); i >= 0 {
				t.Fatalf("%s accepted %q with byte %#x", cname, addr, addr[i])
			}
		}
	})
}

func TestNameValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want string // "" means accepted
	}{
		{name: ""},
		{name: "orders-db"},
		{name: "cache (sessions, eu-west)"},
		{name: "café"},
		{name: "a@b", want: "looks like a connection string"},
		{name: "user=app", want: "looks like a connection string"},
		{name: "redis://cache", want: "looks like a URL"},
		{name: "cache\x1b[2J", want: "control character U+001B"},
		{name: "cache\u202e", want: "control character U+202E"},
		{name: "cache\n", want: "control character U+000A"},
		{name: "cache\xff", want: "invalid UTF-8"},
		{name: strings.Repeat("n", 129), want: "longer than 128 bytes"},
	}
	for cname, construct := range addrConstructors {
		for _, tt := range tests {
			err := construct("127.0.0.1:6379", tt.name)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("%s(Name %q) = %v, want accepted", cname, tt.name, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("%s(Name %q) = %v, want an error containing %q", cname, tt.name, err, tt.want)
			}
		}
	}
}
