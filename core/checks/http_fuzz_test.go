package checks_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

// fuzzSecret is planted in the user info and the query of the URLs the HTTP
// fuzz targets configure; it must come back in no reason and no error.
const fuzzSecret = "fz-5ecret-9q"

// printableASCII reports the first byte of s outside printable ASCII, or -1.
func printableASCII(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return i
		}
	}
	return -1
}

// httpScript is what the fuzzed upstreams answer; see FuzzHTTPResponse.
type httpScript struct {
	status     int
	location   [2]string // per server: plain, TLS; "" sends none
	header     [2]string // one more header: name, value
	bodyLen    int
	declare    bool // set Content-Length (off by clDelta) rather than stream
	clDelta    int
	run        int // numbers the executions: a late request of an earlier one is not a hit
	hits       []hit
	lastStatus int   // status of the last response the client saw
	lastRead   int64 // bytes read from that response's body
}

// hit is one request an upstream received.
type hit struct{ scheme, host string }

// countingTransport records each response's status and how many bytes of
// its body the client read.
type countingTransport struct {
	base http.RoundTripper
	s    *httpScript
	mu   *sync.Mutex
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.s.lastStatus, c.s.lastRead = resp.StatusCode, 0
	c.mu.Unlock()
	resp.Body = &countingBody{ReadCloser: resp.Body, s: c.s, mu: c.mu}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	s  *httpScript
	mu *sync.Mutex
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	b.s.lastRead += int64(n)
	b.mu.Unlock()
	return n, err
}

// FuzzHTTPResponse runs the HTTP check against two loopback upstreams, one
// plain and one TLS, on the same host name, answering a fuzzed status,
// Location (which may point at either upstream, at "localhost" – another
// host name for them – or anywhere), one more header and a body. Whatever
// they answer: the check never panics; no request reaches another host
// name, none goes back to plain http after https; the body of the final
// response is read at most to MaxBodyBytes+1; a pass means a 2xx final
// response within the limit; the reason is short printable ASCII; and
// neither reason nor error holds the URL's user info or query.
func FuzzHTTPResponse(f *testing.F) {
	const limit = 4096
	var (
		mu     sync.Mutex // guards script: the upstreams run beside the check
		script httpScript
	)
	handler := func(scheme string, i int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if r.Header.Get("X-Fuzz-Run") == strconv.Itoa(script.run) {
				script.hits = append(script.hits, hit{scheme, r.Host})
			}
			s := script
			mu.Unlock()
			if s.status == 0 {
				// Between executions: nothing is scripted.
				return
			}
			if r.URL.Path == "/ok" {
				_, _ = io.WriteString(w, "ok")
				return
			}
			if s.location[i] != "" {
				w.Header().Set("Location", s.location[i])
			}
			if s.header[0] != "" {
				w.Header().Set(s.header[0], s.header[1])
			}
			if s.declare {
				w.Header().Set("Content-Length", strconv.Itoa(max(0, s.bodyLen+s.clDelta)))
			}
			w.WriteHeader(s.status)
			_, _ = w.Write(make([]byte, s.bodyLen))
		}
	}
	plain := httptest.NewServer(handler("http", 0))
	f.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(handler("https", 1))
	f.Cleanup(secure.Close)
	base := secure.Client().Transport.(*http.Transport).Clone()
	base.DisableKeepAlives = true
	f.Cleanup(base.CloseIdleConnections)
	client := &http.Client{Transport: countingTransport{base: base, s: &script, mu: &mu}}
	_, plainPort, _ := net.SplitHostPort(strings.TrimPrefix(plain.URL, "http://"))
	_, securePort, _ := net.SplitHostPort(strings.TrimPrefix(secure.URL, "https://"))
	expand := strings.NewReplacer(
		"{plain}", plain.URL, "{tls}", secure.URL,
		"{other}", "http://localhost:"+plainPort, "{otherTLS}", "https://localhost:"+securePort,
	)

	for _, s := range []struct {
		tls              bool
		status           uint16
		locPlain, locTLS string
		hName, hVal      string
		bodyLen          uint16
		declare          bool
		clDelta          int8
	}{
		{status: 200, bodyLen: 2},
		{status: 200, bodyLen: limit + 1, declare: true},
		{status: 200, bodyLen: 60000},
		{status: 200, bodyLen: 100, declare: true, clDelta: 50},
		{status: 503},
		{status: 302, locPlain: "/ok"},
		{status: 302, locPlain: "{plain}/again"},
		{status: 302, locPlain: "{other}/ok"},
		{status: 301, tls: true, locTLS: "{plain}/ok"},
		{status: 302, locPlain: "{tls}/hop", locTLS: "{plain}/ok"}, // http -> https -> http
		{status: 307, tls: true, locTLS: "{otherTLS}/ok"},
		{status: 302, locPlain: "http://\xe2\x80\xae\x1b[31mevil.example/"},
		{status: 302, locPlain: "http://" + strings.Repeat("\xc3\xa9", 300) + "/"},
		{status: 302, locPlain: "//127.0.0.1:" + plainPort + "/ok"},
		{status: 308, locPlain: "?token=x"},
		{status: 302, locPlain: "http://u:p@127.0.0.1:" + plainPort + "/ok"},
		{status: 200, hName: "Transfer-Encoding", hVal: "chunked", bodyLen: 10},
		{status: 100, bodyLen: 1},
		{status: 204, bodyLen: 5},
		{status: 999},
	} {
		f.Add(s.tls, s.status, s.locPlain, s.locTLS, s.hName, s.hVal, s.bodyLen, s.declare, s.clDelta)
	}
	f.Fuzz(func(t *testing.T, useTLS bool, status uint16, locPlain, locTLS, hName, hVal string, bodyLen uint16, declare bool, clDelta int8) {
		for _, s := range []string{locPlain, locTLS, hName, hVal} {
			if strings.Contains(strings.ToLower(s), fuzzSecret) {
				t.Skip("the server itself sends the secret")
			}
		}
		start := plain.URL
		if useTLS {
			start = secure.URL
		}
		u, _ := url.Parse(start + "/start?token=" + fuzzSecret)
		u.User = url.UserPassword("app", fuzzSecret)
		mu.Lock()
		run := script.run + 1
		mu.Unlock()
		check, err := checks.HTTP(u.String(), checks.HTTPOptions{
			Client:       client,
			MaxBodyBytes: limit,
			Header:       http.Header{"X-Fuzz-Run": {strconv.Itoa(run)}},
		})
		if err != nil {
			t.Fatal(err)
		}

		mu.Lock()
		script = httpScript{
			run:      run,
			status:   statusCode(status),
			location: [2]string{expand.Replace(locPlain), expand.Replace(locTLS)},
			header:   [2]string{hName, hVal},
			bodyLen:  int(bodyLen),
			declare:  declare,
			clDelta:  int(clDelta),
		}
		mu.Unlock()
		// A short deadline: some answers (a body shorter than its
		// Content-Length) make the client wait for it.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = check(ctx)
		cancel()
		mu.Lock()
		s := script
		s.hits = append([]hit(nil), script.hits...)
		mu.Unlock()

		sawTLS := false
		for _, h := range s.hits {
			if host, _, _ := net.SplitHostPort(h.host); host != "127.0.0.1" {
				t.Fatalf("request to host %q followed: %+v", h.host, s.hits)
			}
			if h.scheme == "https" {
				sawTLS = true
			} else if sawTLS {
				t.Fatalf("redirect from https to http followed: %+v", s.hits)
			}
		}
		if s.lastRead > limit+1 {
			t.Fatalf("read %d bytes of a body, limit %d", s.lastRead, limit)
		}
		if err == nil {
			if s.lastStatus < 200 || s.lastStatus > 299 || s.lastRead > limit {
				t.Fatalf("passed on status %d with %d body bytes", s.lastStatus, s.lastRead)
			}
			return
		}
		reason := mustFail(t, err).Reason
		if i := printableASCII(reason); i >= 0 || len(reason) > 200 {
			t.Fatalf("reason %q: want at most 200 bytes of printable ASCII", reason)
		}
		if msg := err.Error(); strings.Contains(msg, fuzzSecret) || len(msg) > 1024 {
			t.Fatalf("error of %d bytes holds the URL's secret or is unbounded: %q", len(msg), msg)
		}
	})
}

// statusCode maps a fuzzed number onto the codes a Go server can send.
func statusCode(n uint16) int {
	if n >= 100 && n <= 999 {
		return int(n)
	}
	return 100 + int(n)%900
}

// FuzzHTTPURL plants a secret in an arbitrary URL, or name, handed to the
// HTTP constructor. It must never panic nor echo the secret in its error;
// a check it accepts must keep the secret out of its reason and error
// unless the secret is the URL's host, which reasons name by design.
func FuzzHTTPURL(f *testing.F) {
	for _, seed := range [][2]string{
		{"http://app:", "@db.internal/healthz"},
		{"http://db.internal/healthz?token=", ""},
		{"https://db.internal/#", ""},
		{"", ":x@db.internal"},
		{"redis://:", "@db.internal:6379"},
		{"http://db.internal/%zz", ""},
		{"http://[::1]:80/", ""},
		{"ftp://", "@host/"},
		{"http://host:", "/"},
	} {
		f.Add(seed[0], seed[1], false)
		f.Add(seed[0], seed[1], true)
	}
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("no network in this test")
		},
	}
	client := &http.Client{Transport: transport}
	f.Fuzz(func(t *testing.T, pre, post string, inName bool) {
		raw, name := pre+fuzzSecret+post, ""
		if inName {
			raw, name = "http://db.internal/", pre+fuzzSecret+post
		}
		check, err := checks.HTTP(raw, checks.HTTPOptions{Name: name, Client: client})
		if err != nil {
			if check != nil {
				t.Fatal("a check and an error")
			}
			if strings.Contains(err.Error(), fuzzSecret) {
				t.Fatalf("HTTP(%q, Name %q): error %q echoes the secret", raw, name, err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("HTTP accepted %q", raw)
		}
		if strings.Contains(u.Host, fuzzSecret) || inName {
			return // the host and the name are shown by design
		}
		err = check(context.Background())
		ce := mustFail(t, err)
		if strings.Contains(ce.Reason, fuzzSecret) || strings.Contains(err.Error(), fuzzSecret) {
			t.Fatalf("HTTP(%q): reason %q, error %q show the secret", raw, ce.Reason, err)
		}
	})
}
