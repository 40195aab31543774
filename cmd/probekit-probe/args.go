package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Probe modes: the first argument is "grpc" or a URL.
const (
	modeHTTP = "http"
	modeGRPC = "grpc"
)

// defaultTimeout is the kubelet's default timeoutSeconds, and
// grpc-health-probe's default -connect-timeout and -rpc-timeout.
const defaultTimeout = time.Second

// errHelp asks for the usage text on standard output and exit status 0.
var errHelp = errors.New("help requested")

// config is one probe, validated: everything a probe needs and nothing it
// must check again.
type config struct {
	mode    string
	url     *url.URL      // modeHTTP
	addr    string        // modeGRPC: host:port
	service string        // modeGRPC: the grpc.health.v1 service name
	timeout time.Duration // the whole probe: connect, request, response
	header  http.Header   // HTTP headers, or gRPC metadata
	tls     bool          // https:// or --tls
	// insecureSkipVerify and roots configure TLS; roots nil means the
	// system's roots.
	insecureSkipVerify bool
	roots              *x509.CertPool
}

// headerFlag is the repeatable --header 'Name: value'.
// The flag package quotes a rejected value in its error; err keeps the
// header's own error, which never holds the value (it may be a token).
type headerFlag struct {
	h   http.Header
	err error
}

func (f *headerFlag) String() string { return "" }

func (f *headerFlag) Set(s string) error {
	name, value, err := parseHeader(s)
	if err != nil {
		f.err = err
		return err
	}
	if f.h == nil {
		f.h = http.Header{}
	}
	f.h.Add(name, value)
	return nil
}

// parseHeader splits "Name: value" as an HTTP/1.1 header line (RFC 9110
// section 5): the name a token, optional white space around the value,
// which holds no control character but horizontal tab. The value is never
// part of the error: headers carry tokens.
func parseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", errors.New(`want "Name: value"`)
	}
	if name == "" {
		return "", "", errors.New(`empty header name, want "Name: value"`)
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return "", "", fmt.Errorf("header name %s: byte %d is not allowed in a header name", escape(name), i)
		}
	}
	value = strings.Trim(value, " \t")
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return "", "", fmt.Errorf("header %s: the value holds a control character", name)
		}
	}
	return http.CanonicalHeaderKey(name), value, nil
}

// isTokenChar reports whether c may appear in an RFC 9110 token.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isMetadataKey reports whether name, lowercased, is a gRPC metadata key
// that grpc-go sends: [0-9a-z-_.], not reserved ("grpc-"), not binary
// ("-bin", whose value would need base64).
func isMetadataKey(name string) bool {
	name = strings.ToLower(name)
	if strings.HasPrefix(name, "grpc-") || strings.HasSuffix(name, "-bin") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// isPrintableASCII reports whether v is a gRPC text metadata value:
// bytes 0x20 to 0x7e only.
func isPrintableASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// newFlagSet declares every flag of both modes; parseArgs rejects the ones
// a mode does not take.
func newFlagSet(timeout *time.Duration, header *headerFlag, service *string, useTLS, skipVerify *bool, caCert *string) *flag.FlagSet {
	fs := flag.NewFlagSet("probekit-probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parseArgs words the errors itself
	fs.DurationVar(timeout, "timeout", defaultTimeout, "")
	fs.Var(header, "header", "")
	fs.StringVar(service, "service", "", "")
	fs.BoolVar(useTLS, "tls", false, "")
	fs.BoolVar(skipVerify, "insecure-skip-verify", false, "")
	fs.StringVar(caCert, "ca-cert", "", "")
	return fs
}

// parseArgs parses the command line (without the program name) strictly:
// flags may come before or after the positional arguments, "--" ends the
// flags, and anything unknown, missing, repeated or contradictory is an
// error that says which. readFile reads --ca-cert (os.ReadFile; tests
// substitute it). The error is errHelp for -h and --help.
func parseArgs(args []string, readFile func(string) ([]byte, error)) (*config, error) {
	var (
		timeout            time.Duration
		header             headerFlag
		service, caCert    string
		useTLS, skipVerify bool
	)
	fs := newFlagSet(&timeout, &header, &service, &useTLS, &skipVerify, &caCert)

	// The flag package stops at the first positional argument; the
	// issue's own example puts flags after it
	// (probekit-probe grpc 127.0.0.1:9090 --service readiness), so parse
	// again after each one.
	var positional []string
	rest := args
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			if header.err != nil {
				return nil, fmt.Errorf("--header: %w", header.err)
			}
			return nil, flagError(err)
		}
		consumed := len(rest) - fs.NArg()
		if consumed > 0 && rest[consumed-1] == "--" {
			positional = append(positional, fs.Args()...)
			break
		}
		rest = fs.Args()
		if len(rest) > 0 {
			positional = append(positional, rest[0])
			rest = rest[1:]
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if len(positional) == 0 {
		return nil, errors.New("missing the URL to probe (or: grpc ADDR)")
	}
	c := &config{timeout: timeout, header: header.h, insecureSkipVerify: skipVerify}
	if timeout <= 0 {
		return nil, fmt.Errorf("--timeout must be greater than zero, not %v", timeout)
	}
	if positional[0] == modeGRPC {
		c.mode = modeGRPC
		if len(positional) != 2 {
			return nil, fmt.Errorf("grpc takes one address (host:port), got %d arguments", len(positional)-1)
		}
		addr := positional[1]
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" || !validPort(port) {
			return nil, fmt.Errorf("grpc address %s: want host:port, like 127.0.0.1:9090", escape(addr))
		}
		c.addr, c.service, c.tls = addr, service, useTLS
		for name, values := range c.header {
			if !isMetadataKey(name) {
				return nil, fmt.Errorf("--header %s: not a gRPC metadata key (letters, digits, '-', '_', '.'; no grpc- prefix, no -bin suffix)", name)
			}
			// grpc-go refuses to send anything else in a text value, as
			// an RPC failure that would look like the service's.
			for _, v := range values {
				if !isPrintableASCII(v) {
					return nil, fmt.Errorf("--header %s: a gRPC metadata value must be printable ASCII", name)
				}
			}
		}
		if !useTLS && (skipVerify || caCert != "") {
			return nil, errors.New("--insecure-skip-verify and --ca-cert need --tls")
		}
	} else {
		c.mode = modeHTTP
		if len(positional) != 1 {
			return nil, fmt.Errorf("want one URL, got %d arguments", len(positional))
		}
		for _, name := range []string{"service", "tls"} {
			if set[name] {
				return nil, fmt.Errorf("--%s is a grpc flag; an HTTP probe's URL says http:// or https://", name)
			}
		}
		u, err := parseURL(positional[0])
		if err != nil {
			return nil, err
		}
		c.url, c.tls = u, u.Scheme == "https"
		if !c.tls && (skipVerify || caCert != "") {
			return nil, errors.New("--insecure-skip-verify and --ca-cert need an https:// URL")
		}
	}
	if skipVerify && caCert != "" {
		return nil, errors.New("--ca-cert and --insecure-skip-verify together: the certificate would not be verified")
	}
	if caCert != "" {
		pem, err := readFile(caCert)
		if err != nil {
			return nil, fmt.Errorf("--ca-cert: %w", err)
		}
		c.roots = x509.NewCertPool()
		if !c.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-cert %s: no PEM certificate in it", escape(caCert))
		}
	}
	return c, nil
}

// flagError rewords the flag package's errors, which say "-name" for
// "--name". A bad --header never gets here: its value may be a secret.
func flagError(err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Errorf("unknown flag --%s", escape(name))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Errorf("--%s needs a value", escape(name))
	}
	var value, name string
	if _, serr := fmt.Sscanf(msg, "invalid value %q for flag -%s", &value, &name); serr == nil {
		name = strings.TrimSuffix(name, ":")
		if name == "timeout" {
			return fmt.Errorf("--timeout %s: want a duration such as 1s or 500ms", escape(value))
		}
		return fmt.Errorf("--%s %s: invalid value", escape(name), escape(value))
	}
	return errors.New(escape(msg))
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 1<<16
}

// parseURL accepts an absolute http:// or https:// URL with a host.
// Errors never hold the URL itself: its user information and query may be
// secrets.
func parseURL(s string) (*url.URL, error) {
	u, err := checkURL(s)
	if err != nil && strings.Contains(s, "@") {
		// A password holding a '/', '?' or '#' that was not
		// percent-encoded ends the authority early: the parser quotes
		// it as a port (`invalid port ":..."`), or the URL parses with
		// the password as its port. Either way the error would show it.
		return nil, errors.New("bad URL (not shown: it holds user information; percent-encode any '/', '?', '#' or '@' in it)")
	}
	return u, err
}

// checkURL is parseURL, whose errors may show parts of the URL.
func checkURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("bad URL: %s", escape(err.Error()))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad URL: want http:// or https://, not %s", escape(redactURL(u)))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("bad URL %s: no host", escape(redactURL(u)))
	}
	if p := u.Port(); p != "" && !validPort(p) {
		return nil, fmt.Errorf("bad URL %s: port %s", escape(redactURL(u)), escape(p))
	}
	return u, nil
}
