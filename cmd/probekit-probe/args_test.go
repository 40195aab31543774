package main

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want config // compared field by field below; url as a string
		url  string
	}{
		{"url only", []string{"http://127.0.0.1:8080/readyz"}, config{mode: modeHTTP, timeout: time.Second}, "http://127.0.0.1:8080/readyz"},
		{"flags after the url", []string{"http://h/readyz", "--timeout", "3s", "--header", "X-A: 1", "--header=X-A:2"},
			config{mode: modeHTTP, timeout: 3 * time.Second, header: http.Header{"X-A": {"1", "2"}}}, "http://h/readyz"},
		{"single dash", []string{"-timeout=250ms", "https://h/x", "-insecure-skip-verify"},
			config{mode: modeHTTP, timeout: 250 * time.Millisecond, tls: true, insecureSkipVerify: true}, "https://h/x"},
		{"double dash ends flags", []string{"--timeout", "2s", "--", "http://h/--timeout"},
			config{mode: modeHTTP, timeout: 2 * time.Second}, "http://h/--timeout"},
		{"grpc", []string{"grpc", "127.0.0.1:9090", "--service", "readiness"},
			config{mode: modeGRPC, addr: "127.0.0.1:9090", service: "readiness", timeout: time.Second}, ""},
		{"grpc flags first", []string{"--tls", "--insecure-skip-verify", "grpc", "--header", "x-token: t", "[::1]:9090"},
			config{mode: modeGRPC, addr: "[::1]:9090", timeout: time.Second, tls: true, insecureSkipVerify: true, header: http.Header{"X-Token": {"t"}}}, ""},
		{"header value trimmed, empty allowed", []string{"http://h/", "--header", "Accept:", "--header", "X-B: \t v w \t"},
			config{mode: modeHTTP, timeout: time.Second, header: http.Header{"Accept": {""}, "X-B": {"v w"}}}, "http://h/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseArgs(tt.args, os.ReadFile)
			if err != nil {
				t.Fatalf("parseArgs(%q): %v", tt.args, err)
			}
			gotURL := ""
			if c.url != nil {
				gotURL = c.url.String()
			}
			if c.mode != tt.want.mode || c.addr != tt.want.addr || c.service != tt.want.service ||
				c.timeout != tt.want.timeout || c.tls != tt.want.tls || c.insecureSkipVerify != tt.want.insecureSkipVerify ||
				gotURL != tt.url || !sameHeader(c.header, tt.want.header) {
				t.Errorf("parseArgs(%q) = %+v (url %q), want %+v (url %q)", tt.args, *c, gotURL, tt.want, tt.url)
			}
		})
	}
}

func sameHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}

// TestUsageErrors: every way to call the command wrongly exits 2 with a
// message that names the mistake, and never echoes a header value or the
// URL's secrets.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no arguments", nil, "missing the URL"},
		{"flags only", []string{"--timeout", "1s"}, "missing the URL"},
		{"unknown flag", []string{"--verbose", "http://h/"}, "unknown flag --verbose"},
		{"unknown flag after url", []string{"http://h/", "--bogus=1"}, "unknown flag --bogus"},
		{"bad timeout", []string{"--timeout", "soon", "http://h/"}, "--timeout soon: want a duration"},
		{"zero timeout", []string{"--timeout", "0s", "http://h/"}, "--timeout must be greater than zero"},
		{"negative timeout", []string{"--timeout=-1s", "http://h/"}, "--timeout must be greater than zero"},
		{"timeout without value", []string{"http://h/", "--timeout"}, "--timeout needs a value"},
		{"header without colon", []string{"--header", "Authorization Bearer s3cret", "http://h/"}, `want "Name: value"`},
		{"header empty name", []string{"--header", ": s3cret", "http://h/"}, "empty header name"},
		{"header bad name", []string{"--header", "Bad Name: s3cret", "http://h/"}, "not allowed in a header name"},
		{"header control in value", []string{"--header", "X-Token: s3cret\r\nEvil: 1", "http://h/"}, "control character"},
		{"two urls", []string{"http://a/", "http://b/"}, "want one URL, got 2"},
		{"bad url", []string{"http://[::1/readyz"}, "bad URL"},
		{"no scheme", []string{"127.0.0.1:8080/readyz"}, "bad URL"},
		{"ftp", []string{"ftp://h/x"}, "want http:// or https://"},
		{"no host", []string{"http:///readyz"}, "no host"},
		{"bad port", []string{"http://h:99999/readyz"}, "port 99999"},
		{"service on http", []string{"--service", "x", "http://h/"}, "--service is a grpc flag"},
		{"tls on http", []string{"--tls", "http://h/"}, "--tls is a grpc flag"},
		{"skip verify on http://", []string{"--insecure-skip-verify", "http://h/"}, "need an https:// URL"},
		{"ca and skip verify", []string{"--insecure-skip-verify", "--ca-cert", "x.pem", "https://h/"}, "together"},
		{"ca unreadable", []string{"--ca-cert", "/nonexistent/ca.pem", "https://h/"}, "--ca-cert"},
		{"grpc no address", []string{"grpc"}, "grpc takes one address"},
		{"grpc two addresses", []string{"grpc", "a:1", "b:2"}, "grpc takes one address"},
		{"grpc bad address", []string{"grpc", "127.0.0.1"}, "want host:port"},
		{"grpc bad port", []string{"grpc", "127.0.0.1:http"}, "want host:port"},
		{"grpc skip verify without tls", []string{"grpc", "h:1", "--insecure-skip-verify"}, "need --tls"},
		{"grpc reserved metadata", []string{"grpc", "h:1", "--header", "grpc-timeout: 1S"}, "not a gRPC metadata key"},
		{"grpc metadata charset", []string{"grpc", "h:1", "--header", "x!y: 1"}, "not a gRPC metadata key"},
		{"grpc metadata value not ASCII", []string{"grpc", "h:1", "--header", "X-Token: s3cr\u00e9t"}, "printable ASCII"},
		{"password with an unencoded /", []string{"http://admin:s3cret/x@h/readyz"}, "bad URL"},
		{"password with an unencoded #", []string{"http://admin:s3cret#x@h/readyz"}, "bad URL"},
		{"password with an unencoded ?", []string{"https://admin:s3cret?x@h/readyz"}, "bad URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := probe(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "usage:") {
				t.Errorf("stderr:\n%s\nwant %q and the usage line", stderr, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if strings.Contains(stderr, "s3cret") {
				t.Errorf("stderr shows a secret (a header value or a password):\n%s", stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "--help", "-help"} {
		code, stdout, stderr := probe(t, arg)
		if code != exitOK || !strings.Contains(stdout, "Exit status") || stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and the help on stdout", arg, code, stdout, stderr)
		}
	}
}

func TestCACertWithoutPEM(t *testing.T) {
	t.Parallel()
	notPEM := func(string) ([]byte, error) { return []byte("not a certificate"), nil }
	_, err := parseArgs([]string{"--ca-cert", "ca.pem", "https://h/"}, notPEM)
	if err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("err = %v, want no PEM certificate", err)
	}
	_, err = parseArgs([]string{"--help"}, notPEM)
	if !errors.Is(err, errHelp) {
		t.Errorf("--help: err = %v, want errHelp", err)
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain text: ok", "plain text: ok"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"line\r\nforged line", `line\r\nforged line`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"bad \xff utf8", `bad \xff utf8`},
		{`back\slash`, `back\\slash`},
		{"héllo wörld", "héllo wörld"},
		{strings.Repeat("a", 2*maxReasonBytes), strings.Repeat("a", maxReasonBytes) + "...(truncated)"},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseArgs: whatever the arguments, parsing neither panics nor lets a
// control character or a header value into its error message.
func FuzzParseArgs(f *testing.F) {
	f.Add("http://127.0.0.1:8080/readyz", "--timeout", "1s", "--header", "X-Token: s3cret")
	f.Add("grpc", "127.0.0.1:9090", "--service", "readiness", "--tls")
	f.Add("--header", "X:\x1b[2Js3cret", "https://u:p@h/?q=1", "--", "x")
	f.Add("--timeout=\x1b]0;x\a", "http://[::1]:80/", "-h", "", "")
	f.Add("http://h/\x1b", "--ca-cert", "\n", "--insecure-skip-verify", "-tls=1")
	f.Fuzz(func(t *testing.T, a, b, c, d, e string) {
		args := []string{a, b, c, d, e}
		noFile := func(string) ([]byte, error) { return nil, os.ErrNotExist }
		cfg, err := parseArgs(args, noFile)
		if err != nil {
			for _, r := range err.Error() {
				if r < 0x20 || r == 0x7f || r == 0x1b {
					t.Fatalf("error holds control character %q: %q", r, err.Error())
				}
			}
			return
		}
		if cfg.timeout <= 0 || (cfg.mode == modeHTTP) == (cfg.url == nil) {
			t.Fatalf("accepted an invalid config %+v from %q", *cfg, args)
		}
		for name, values := range cfg.header {
			for _, v := range values {
				if strings.ContainsAny(v, "\r\n\x00") || name == "" {
					t.Fatalf("header %q: %q accepted", name, v)
				}
			}
		}
	})
}

// FuzzParseHeader: an accepted header is one Go's HTTP client sends as it
// is, and an error never holds the value.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"X-Token: s3cret", "Host: example.com", "Accept:", "a b: c", ":", "X: \x1b[0m", "X: a\r\nY: b", "X:\tv\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, value, err := parseHeader(s)
		if err != nil {
			// The error holds no part of the value if it is the same for
			// any other value of the same shape (white space, control
			// characters and the rest where they were). Searching the
			// error for the value's text would match across the escaped
			// name and the words after it ("\x000: byte" holds "000:").
			n, v, found := strings.Cut(s, ":")
			if !found {
				return
			}
			other := strings.Map(func(r rune) rune {
				switch {
				case r == ' ' || r == '\t':
					return r
				case r < 0x20 || r == 0x7f:
					return 0x01
				}
				return 'z'
			}, v)
			if _, _, err2 := parseHeader(n + ":" + other); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("error %q depends on the value: with another value of the same shape it is %v", err, err2)
			}
			return
		}
		h := http.Header{}
		h.Add(name, value)
		if err := h.Write(&strings.Builder{}); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(value, "\r\n\x00") || strings.TrimSpace(value) != value && strings.Trim(value, " \t") != value {
			t.Fatalf("value %q accepted", value)
		}
		if http.CanonicalHeaderKey(name) != name {
			t.Fatalf("name %q not canonical", name)
		}
	})
}

// FuzzURLPassword: a URL the parser rejects never has its password echoed,
// whatever characters the password holds (an unencoded '/', '?' or '#'
// ends the authority early, and the parser quotes what it took for a port).
func FuzzURLPassword(f *testing.F) {
	for _, p := range []string{"s3cret", "s3cret/x", "s3cret#x", "s3cret?x", "s3%zzcret", "s3 cret", "s3cret\x7f"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, password string) {
		_, err := parseURL("http://admin:" + password + "@h/readyz")
		if err == nil {
			return
		}
		// Words of the message itself and of the rest of the URL are no leak.
		const known = "bad URL (not shown: it holds user information; percent-encode any '/', '?', '#' or '@' in it) admin h readyz http"
		for _, part := range strings.FieldsFunc(password, func(r rune) bool { return strings.ContainsRune("/?#@%", r) }) {
			if len(part) >= 4 && strings.Contains(err.Error(), part) && !strings.Contains(known, part) {
				t.Fatalf("error %q holds %q of the password %q", err, part, password)
			}
		}
	})
}
