package checks_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

// upstream returns a loopback HTTP server for h, closed at cleanup.
func upstream(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	// other is a second host name for the loopback server: "localhost"
	// instead of "127.0.0.1".
	var otherHits atomic.Int32
	other := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
	})
	otherURL, err := url.Parse(other.URL)
	if err != nil {
		t.Fatal(err)
	}
	otherURL.Host = "localhost:" + otherURL.Port()

	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			_, _ = io.WriteString(w, "ok")
		case "/fail":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		case "/same-host":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/other-host":
			http.Redirect(w, r, otherURL.String(), http.StatusFound)
		case "/huge":
			w.Header().Set("Content-Length", "1048576")
			_, _ = w.Write(make([]byte, 1<<20))
		case "/huge-chunked":
			for range 64 {
				_, _ = w.Write(make([]byte, 16<<10))
				w.(http.Flusher).Flush()
			}
		case "/slow-body":
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case "/token":
			if r.Header.Get("Authorization") != "Bearer t0ken" {
				w.WriteHeader(http.StatusUnauthorized)
			}
		}
	})
	host := strings.TrimPrefix(srv.URL, "http://")

	tests := []struct {
		path    string
		opts    checks.HTTPOptions
		timeout time.Duration
		want    string // reason after "http HOST: "; "" means healthy
	}{
		{path: "/ok"},
		{path: "/fail", want: "status 500 (want 200-299)"},
		{path: "/teapot", want: "status 418 (want 200-299)"},
		{path: "/teapot", opts: checks.HTTPOptions{MinStatus: 200, MaxStatus: 499}},
		{path: "/same-host"},
		{path: "/loop", want: "stopped after 5 redirects"},
		{path: "/other-host", want: "redirect to another host refused (localhost)"},
		{path: "/huge", want: "body exceeds 65536 bytes"},
		{path: "/huge-chunked", want: "body exceeds 65536 bytes"},
		{path: "/huge", opts: checks.HTTPOptions{MaxBodyBytes: 2 << 20}},
		{path: "/slow-body", timeout: 200 * time.Millisecond, want: "timeout"},
		{path: "/token", want: "status 401 (want 200-299)"},
		{path: "/token", opts: checks.HTTPOptions{Header: http.Header{"Authorization": {"Bearer t0ken"}}}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			t.Parallel()
			check := must(t)(checks.HTTP(srv.URL+tt.path, tt.opts))
			_ = wantReason(t, call(check, tt.timeout), "http "+host+": ", tt.want)
		})
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other host was requested %d times; the redirect must not be followed", n)
	}
}

func TestHTTPRefusesSchemeDowngrade(t *testing.T) {
	t.Parallel()
	var plainHits atomic.Int32
	plain := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		if r.Header.Get("Authorization") != "" {
			t.Error("the token was sent in clear text")
		}
	})
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/", http.StatusFound) // same host 127.0.0.1, http
	}))
	t.Cleanup(secure.Close)
	check := must(t)(checks.HTTP(secure.URL, checks.HTTPOptions{
		Client: secure.Client(),
		Header: http.Header{"Authorization": {"Bearer t0ken"}},
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ce := mustFail(t, check(ctx))
	if !strings.HasSuffix(ce.Reason, ": redirect from https to http refused") || strings.Contains(ce.Error(), "t0ken") {
		t.Fatalf("reason = %q, error %q", ce.Reason, ce.Error())
	}
	if plainHits.Load() != 0 {
		t.Fatal("the downgrade was followed")
	}
}

func TestHTTPUsesCustomClient(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "/next", http.StatusFound)
		}
	})
	var trips atomic.Int32
	var policyCalls atomic.Int32
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	errStop := errors.New("client policy says no")
	client := &http.Client{
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			trips.Add(1)
			return transport.RoundTrip(r)
		}),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			policyCalls.Add(1)
			return errStop
		},
	}
	check := must(t)(checks.HTTP(srv.URL+"/start", checks.HTTPOptions{Client: client}))
	err := check(context.Background())
	ce := mustFail(t, err)
	if !errors.Is(err, errStop) {
		t.Errorf("error = %v, want the client's own redirect policy to have run", err)
	}
	if trips.Load() != 1 || policyCalls.Load() != 1 {
		t.Errorf("round trips = %d, policy calls = %d; want 1 and 1", trips.Load(), policyCalls.Load())
	}
	if strings.Contains(ce.Reason, "/start") {
		t.Errorf("reason %q shows the URL path", ce.Reason)
	}
	if client.CheckRedirect == nil || client.Transport == nil {
		t.Error("HTTP modified the caller's client")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestHTTPOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		opts checks.HTTPOptions
		want string
	}{
		{url: "ftp://example.com/", want: "scheme"},
		{url: "/healthz", want: "scheme"},
		{url: "http:///healthz", want: "no host"},
		{url: "http://user:pa%zzss@example.com/", want: "does not parse"},
		{url: "http://example\u202e.com/", want: "URL host holds the control character U+202E"},
		{url: "http://example%C2%9B.com/", want: "URL host holds the control character U+009B"},
		{url: "http://example.com/", opts: checks.HTTPOptions{MinStatus: 99}, want: "HTTPOptions.MinStatus"},
		{url: "http://example.com/", opts: checks.HTTPOptions{MaxStatus: 600}, want: "HTTPOptions.MaxStatus"},
		{url: "http://example.com/", opts: checks.HTTPOptions{MinStatus: 300}, want: "HTTPOptions.MinStatus 300 is above MaxStatus 299"},
		{url: "http://example.com/", opts: checks.HTTPOptions{MaxBodyBytes: -1}, want: "HTTPOptions.MaxBodyBytes"},
	}
	for _, tt := range tests {
		fn, err := checks.HTTP(tt.url, tt.opts)
		if err == nil || fn != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("HTTP(%q, %+v) = %v, want an error containing %q", tt.url, tt.opts, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "pa%zzss") {
			t.Errorf("error %q shows the URL's password", err)
		}
	}
}

// TestHTTPBoundsServerText has a raw server answer with a huge, hostile
// status line: what the check keeps of it for logs must stay short, and the
// status text it quotes must be escaped.
func TestHTTPBoundsServerText(t *testing.T) {
	t.Parallel()
	hostile := strings.Repeat("\u202e\x1b[2J caf\u00e9 ", 10000)
	tests := []struct {
		name, statusLine, want string
	}{
		// No space: net/http quotes the whole line in its error.
		{name: "malformed status line", statusLine: strings.Repeat("\u202e\x1b[2J", 20000), want: "failed"},
		{name: "huge reason phrase", statusLine: "HTTP/1.1 500 " + hostile, want: "status 500 (want 200-299)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, nil, func(c net.Conn) {
				// Answer only after the request: the client drops a response
				// that comes before it.
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				_, _ = io.WriteString(c, tt.statusLine+"\r\nContent-Length: 0\r\n\r\n")
				drain(c)
			})
			check := must(t)(checks.HTTP("http://"+srv.Addr()+"/", checks.HTTPOptions{}))
			err := call(check, 0)
			_ = wantReason(t, err, "http "+srv.Addr()+": ", tt.want)
			if msg := err.Error(); len(msg) > 1024 {
				t.Fatalf("error of %d bytes: a server can fill the logs", len(msg))
			}
			if tt.want != "failed" {
				if i := printableASCII(err.Error()); i >= 0 {
					t.Fatalf("error %q holds byte %#x", err, err.Error()[i])
				}
			}
		})
	}
}
