package checks

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The address and name validators below never echo the value they reject.
// A value that is not what the constructor expects is often one that holds
// more than it should (a redis:// URL with a password, a DSN where a name was
// wanted), and constructor errors end up in logs and crash reports. Each
// error says instead what is wrong and what to pass.

// validateAddr reports whether addr is a dialable "host:port": a host name,
// an IPv4 address or an IPv6 address in brackets, then a port number in
// 1-65535. An empty host is allowed: like net.Dial, it means the local
// system. Named ports ("host:redis") are not: the address appears in every
// failure reason, where a number is what an operator needs.
//
// credentials tells where credentials go instead, for the errors about a
// URL or user info: "pass the password in RedisOptions.Password".
func validateAddr(addr, credentials string) error {
	const want = "address must be host:port"
	switch {
	case addr == "":
		return errors.New(want + "; it is empty")
	case strings.Contains(addr, "://"):
		return errors.New(want + ", not a URL; it has a scheme (\"://\") and is not echoed: " +
			"pass the URL's host:port only; " + credentials)
	case strings.Contains(addr, "@"):
		return errors.New(want + "; it holds user info (\"@\"), which is not echoed: " + credentials)
	case len(addr) > maxAddrLen:
		return fmt.Errorf("%s; it is longer than %d bytes (%d)", want, maxAddrLen, len(addr))
	}
	if r, ok := badRune(addr); ok {
		return fmt.Errorf("%s; it holds %s, which a host name cannot", want, r)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// net's error quotes addr: describe the problem without it.
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return fmt.Errorf("%s (IPv6 in brackets: [::1]:6379); %s", want, ae.Err)
		}
		return errors.New(want)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return errors.New(want + "; its port is not a number in 1-65535")
	}
	if !validHostName(host) && net.ParseIP(host) == nil && !validZonedIPv6(host) {
		return errors.New(want + "; its host is not a host name (letters, digits, '-', '.', '_') " +
			"or an IP address")
	}
	return nil
}

// validHostName reports whether host holds only the bytes of a DNS name as
// Go's resolver accepts them. The empty host (the local system) is one.
func validHostName(host string) bool {
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// maxAddrLen bounds an address: a 253-byte DNS name, a colon and a port.
const maxAddrLen = 253 + 1 + 5

// validZonedIPv6 reports whether host is an IPv6 address with a zone
// ("fe80::1%eth0"), the one host form that contains '%'.
func validZonedIPv6(host string) bool {
	ip, zone, ok := strings.Cut(host, "%")
	return ok && zone != "" && validHostName(zone) && net.ParseIP(ip) != nil && strings.Contains(ip, ":")
}

// validateHost reports whether host can be a host name for [DNS]. It stays
// lenient beyond rejecting what clearly is not one: the resolver is the
// judge of what resolves.
func validateHost(host string) error {
	const want = "host must be a host name"
	switch {
	case host == "":
		return errors.New("host is empty")
	case len(host) > 253:
		return fmt.Errorf("%s of at most 253 bytes, not %d", want, len(host))
	case strings.Contains(host, "://"):
		return errors.New(want + ", not a URL; it starts with a scheme (\"://\"), which is not echoed")
	case strings.Contains(host, "@"):
		return errors.New(want + "; it holds user info (\"@\"), which is not echoed")
	case strings.ContainsAny(host, "/ ?#"):
		return errors.New(want + "; it holds a character (one of \"/ ?#\") that a host name cannot")
	}
	if r, ok := badRune(host); ok {
		return fmt.Errorf("%s; it holds %s, which a host name cannot", want, r)
	}
	if _, _, err := net.SplitHostPort(host); err == nil {
		return errors.New(want + " without a port; DNS resolves names, use TCP to dial host:port")
	}
	return nil
}

// validateName reports whether name (the Name option of field) can label a
// dependency in reasons: it is shown to anyone who can reach a probe
// endpoint. A name holding user info ("@"), a URL ("://") or a key=value
// DSN ("=") is most likely a connection string passed by mistake, and a
// connection string may carry a password.
func validateName(field, name string) error {
	switch {
	case len(name) > maxNameLen:
		return fmt.Errorf("%s is longer than %d bytes (%d)", field, maxNameLen, len(name))
	case strings.Contains(name, "://"):
		return fmt.Errorf("%s looks like a URL (\"://\"), which is not echoed: a name labels reasons, "+
			"which anyone who can reach a probe reads", field)
	case strings.ContainsAny(name, "@="):
		return fmt.Errorf("%s looks like a connection string (\"@\" or \"=\"), which is not echoed: "+
			"a name labels reasons, which anyone who can reach a probe reads", field)
	}
	if r, ok := badRune(name); ok {
		return fmt.Errorf("%s holds %s: a name is shown in terminals and logs", field, r)
	}
	return nil
}

// isControl reports whether r changes how a terminal shows text rather than
// being shown: C0 and C1 controls, format characters (the bidirectional
// overrides among them) and the line and paragraph separators.
func isControl(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// maxNameLen bounds a name: it is repeated in every reason of its check.
const maxNameLen = 128

// badRune returns a description of the first rune of s that has no place in
// a name or an address shown in a terminal: invalid UTF-8, a control
// character (including the bidirectional overrides that reorder what a
// terminal shows) or a line or paragraph separator.
func badRune(s string) (string, bool) {
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return "invalid UTF-8", true
		case isControl(r):
			return fmt.Sprintf("the control character %U", r), true
		}
	}
	return "", false
}
