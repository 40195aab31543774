package conformance

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// FuzzServeFunc answers one probe request through an adapter: it mounts
// the adapter's Register for h at the root of a new router of its
// framework and returns the response the router gives req.
type FuzzServeFunc func(t *testing.T, h *core.Registry, req *http.Request) *http.Response

// FuzzMatchesCore is the body of an adapter's fuzz target: any probe request
// (a method among those the adapter routes, a path under a probe endpoint,
// a query, an Accept header) gets through serve the same status, headers
// and body as from core's Handler on an identically configured registry,
// and an escaped slash in the endpoint is no probe for either. It adds the
// seeds worth starting from; the package's testdata/fuzz/FuzzMatchesCore
// holds what fuzzing that adapter found.
func FuzzMatchesCore(f *testing.F, serve FuzzServeFunc) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, method, endpoint uint8, segment, query, accept string) {
		req, ok := fuzzRequest(method, endpoint, segment, query, accept)
		if !ok {
			return
		}
		// An escaped slash in the endpoint ("/readyz%2F") makes no probe
		// path for core: the adapter must not answer it as a probe either,
		// though the 404 is the framework's own.
		notProbe := strings.Contains(strings.ToUpper(req.URL.RawPath), "%2F")
		resp := serve(t, fuzzRegistry(t), req.Clone(context.Background()))
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: reading the body: %v", req.Method, req.RequestURI, err)
		}
		want := httptest.NewRecorder()
		fuzzRegistry(t).Handler().ServeHTTP(want, req.Clone(context.Background()))
		if notProbe {
			if resp.StatusCode != http.StatusNotFound || want.Code != http.StatusNotFound {
				t.Fatalf("%s %s: status %d, core %d, want 404", req.Method, req.RequestURI, resp.StatusCode, want.Code)
			}
			return
		}
		sameProbeAnswer(t, req.Method+" "+req.RequestURI, resp.StatusCode, resp.Header, body, want)
	})
}

// fuzzRegistry builds one of the two identically configured registries the
// fuzz target compares: a startup gate, a Startup|Readiness check, a failing
// check whose raw error holds a secret, an optional one whose reason holds
// terminal escapes, a background check that is never started and a
// liveness check. Every check answers the same way every time, so two such
// registries given the same requests answer the same bytes up to times and
// durations.
func fuzzRegistry(t *testing.T) *core.Registry {
	t.Helper()
	h, err := core.New(core.Options{Service: "svc", Version: "1.0", Instance: "pod", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	ok := func(context.Context) error { return nil }
	for _, c := range []core.Check{
		{Name: "boot", Kinds: core.Startup, Check: ok},
		{Name: "migrations", Kinds: core.Startup | core.Readiness, Check: ok},
		{Name: "db", Check: func(context.Context) error {
			return errors.New("dial postgres://app:hunter2@10.9.8.7:5432: connection refused")
		}},
		{Name: "cache", Optional: true, Check: func(context.Context) error {
			return core.Degraded("slow \x1b]0;owned\x07 replica\xff", nil)
		}},
		{Name: "queue", Interval: time.Hour, Check: ok},
		{Name: "loop", Kinds: core.Liveness, Check: ok},
	} {
		if err := h.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// fuzzMethods are the methods the adapters route to the probes.
var fuzzMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// fuzzRequest makes a probe request from fuzz input as a server would read
// it off the wire: endpoint picks the probe path and segment follows it raw
// ("/", "/db", "/a%2Fb"), so it may hold escapes and slashes. ok is false for a request the
// server would refuse before any handler, or for a path that is no probe
// path even unescaped.
func fuzzRequest(method, endpoint uint8, segment, query, accept string) (*http.Request, bool) {
	eps := core.Endpoints()
	target := eps[int(endpoint)%len(eps)].Path
	target += wireSafe(segment, "?")
	if query != "" {
		target += "?" + wireSafe(query, "")
	}
	raw := fuzzMethods[int(method)%len(fuzzMethods)] + " " + target + " HTTP/1.1\r\nHost: x\r\nAccept: " + accept + "\r\n\r\n"
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil || !core.IsEndpointPath(req.URL.Path) {
		// Not a probe for core's handler: each framework answers such
		// paths its own way.
		return nil, false
	}
	return req, true
}

// wireSafe percent-encodes what cannot appear raw in a request target
// (controls, spaces, non-ASCII, '#', the bytes in also) and a '%' that starts
// no escape, so the fuzzer reaches the handlers rather than the parser.
func wireSafe(s, also string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ' || c >= 0x7f || c == '#' || strings.IndexByte(also, c) >= 0,
			c == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])):
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

var (
	fuzzTimeRE     = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`)
	fuzzDurationRE = regexp.MustCompile(`"(duration_ms|observedValue)":\d+(\.\d+)?`)
)

// sameProbeAnswer fails t unless the two answers are the same bytes:
// status, the probe headers and the body, up to report times and durations.
func sameProbeAnswer(t *testing.T, req string, code int, hdr http.Header, body []byte, want *httptest.ResponseRecorder) {
	t.Helper()
	if code != want.Code {
		t.Fatalf("%s: status %d, core %d (%q)", req, code, want.Code, want.Body)
	}
	for _, k := range []string{"Content-Type", "Cache-Control", "X-Content-Type-Options", "Allow"} {
		if got, w := hdr.Values(k), want.Header().Values(k); !slices.Equal(got, w) {
			t.Fatalf("%s: %s %q, core %q", req, k, got, w)
		}
	}
	norm := func(b []byte) string {
		s := fuzzTimeRE.ReplaceAllString(string(b), `"<time>"`)
		return fuzzDurationRE.ReplaceAllString(s, `"$1":<ms>`)
	}
	if got, w := norm(body), norm(want.Body.Bytes()); got != w {
		t.Fatalf("%s: body\n%q\ncore\n%q", req, got, w)
	}
	if bytes.Contains(body, []byte("hunter2")) {
		t.Fatalf("%s: secret in body %q", req, body)
	}
}

// addFuzzSeeds adds the requests worth starting from.
func addFuzzSeeds(f *testing.F) {
	for _, s := range []struct {
		method, endpoint       uint8
		segment, query, accept string
	}{
		{0, 1, "", "", ""},
		{0, 1, "", "verbose&exclude=cache", "*/*"},
		{1, 2, "", "exclude=migrations", ""},
		{0, 2, "", "verbose&exclude=boot&exclude=boot", "application/health+json"},
		{0, 1, "/db", "", "application/json;q=0.5, application/health+json"},
		{0, 0, "/loop", "verbose", ""},
		{0, 1, "/%1B%5B2J", "", ""},
		{0, 1, "/a%2Fb", "", ""},
		{1, 0, "/", "verbose", ""},
		{0, 4, "", "", ""},
		{0, 1, "", "exclude=nope%FF", "application/*;q=NaN"},
		{2, 1, "", "", ""},
		{6, 3, "/cache", "verbose", ""},
		{0, 1, "", "verbose=maybe", ""},
		{0, 1, "/queue", "verbose", ""},
	} {
		f.Add(s.method, s.endpoint, s.segment, s.query, s.accept)
	}
}
