package core

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseQuery: any query string is either rejected with a reason or
// parsed into values net/url agrees with; it never panics.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "verbose", "verbose=true", "verbose=0", "exclude=db&exclude=redis",
		"exclude=", "exclude=%zz", "a=b&&c", "exclude=a+b", "verbose=maybe", "%", "exclude=%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, msg := parseQuery(raw)
		if msg != "" {
			return
		}
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return // net/url is stricter about keys we ignore
		}
		if got, want := len(q.exclude), len(vals["exclude"]); got != want {
			t.Fatalf("%q: %d excludes, net/url finds %d", raw, got, want)
		}
		for i, v := range vals["exclude"] {
			if q.exclude[i] != v || v == "" {
				t.Fatalf("%q: exclude[%d] = %q, net/url says %q", raw, i, q.exclude[i], v)
			}
		}
	})
}

// FuzzAppendJSON: whatever the check names and messages hold, the JSON and
// health+json encoders produce valid JSON that decodes to the same strings
// (invalid UTF-8 replaced, as encoding/json does).
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{"", "ok", `quote " backslash \ `, "line\nbreak\ttab\r", "<script>&amp;",
		"\x00\x1f\x7f", "\u2028\u2029", "héllo wörld", "\xff\xfe invalid", "emoji 🙂"} {
		f.Add(s, s+"-service")
	}
	f.Fuzz(func(t *testing.T, msg, service string) {
		rep := Report{Kind: Readiness, Status: StatusDegraded, Message: msg, Time: time.Unix(1700000000, 0),
			Checks: []Result{{Name: "db", Status: StatusUnavailable, Message: msg, Duration: 1500 * time.Microsecond}}}
		m := meta{service: service, version: msg, instance: msg}
		want := replaceInvalid(msg)

		var plain struct {
			Message, Service string
			Checks           map[string]struct{ Message string }
		}
		b := appendJSON(nil, &rep, m)
		if err := json.Unmarshal(b, &plain); err != nil {
			t.Fatalf("invalid JSON %q: %v", b, err)
		}
		if plain.Message != want || plain.Checks["db"].Message != want || plain.Service != replaceInvalid(service) {
			t.Fatalf("round trip of %q gave %+v", msg, plain)
		}
		if !utf8.Valid(b) {
			t.Fatal("output is not valid UTF-8")
		}

		var health struct {
			Output string
			Checks map[string][]struct{ Output string }
		}
		b = appendHealthJSON(nil, &rep, m)
		if err := json.Unmarshal(b, &health); err != nil {
			t.Fatalf("invalid health+json %q: %v", b, err)
		}
		if health.Output != want || health.Checks["db:responseTime"][0].Output != want {
			t.Fatalf("health+json round trip of %q gave %+v", msg, health)
		}

		// The text form keeps one line per check whatever the message holds.
		text := string(appendVerbose(nil, &rep, nil, "readyz", false))
		if n := strings.Count(text, "\n"); n != 2 {
			t.Fatalf("verbose output has %d lines:\n%s", n, text)
		}
	})
}

// replaceInvalid replaces each invalid UTF-8 byte with U+FFFD, as
// encoding/json does when it decodes what appendString wrote.
func replaceInvalid(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // ranging yields RuneError for each invalid byte
	}
	return b.String()
}

// fuzzRegistry is the registry the probe fuzz targets attack: a passing
// startup gate, a Startup|Readiness check, a synchronous check whose raw
// error holds secrets, one whose reason holds terminal escapes, a
// background check (never started: its message says so) and a liveness
// check.
func fuzzRegistry(t *testing.T) *Registry {
	r := newTestRegistry(t, Options{Service: "svc\x1b", Version: "1\xff", Instance: "pod"})
	for _, c := range []Check{
		{Name: "boot", Kinds: Startup, Check: ok},
		{Name: "migrations", Kinds: Startup | Readiness, Check: ok},
		{Name: "db", Check: func(context.Context) error {
			return errors.New("dial postgres://app:" + fuzzSecret + "@10.9.8.7:5432: connection refused")
		}},
		{Name: "cache", Optional: true, Check: func(context.Context) error {
			return Degraded("slow \x1b]0;owned\x07 replica\xff\u202e", nil)
		}},
		{Name: "queue", Interval: time.Hour, Check: ok},
		{Name: "loop", Kinds: Liveness, Check: ok},
	} {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

const fuzzSecret = "hunter2-s3cret"

// checkProbeResponse asserts what holds for every probe answer: a known
// status, JSON bodies that parse, text bodies that are inert in a terminal,
// and no secret anywhere.
func checkProbeResponse(t *testing.T, p ProbeResponse) {
	t.Helper()
	switch p.Code {
	case 200, 400, 404, 405, 503:
	default:
		t.Fatalf("status %d", p.Code)
	}
	if (p.Code == 405) != (p.Allow == allowGetHead) {
		t.Fatalf("status %d with Allow %q", p.Code, p.Allow)
	}
	body := string(p.Body)
	if strings.Contains(body, fuzzSecret) || strings.Contains(body, "10.9.8.7") {
		t.Fatalf("secret in body: %q", body)
	}
	switch p.ContentType {
	case contentTypeJSON, contentTypeHealthJSON:
		if p.Body != nil && (!json.Valid(p.Body) || !utf8.Valid(p.Body)) {
			t.Fatalf("invalid %s: %q", p.ContentType, body)
		}
	case contentTypeText:
		if !utf8.Valid(p.Body) {
			t.Fatalf("text body is not UTF-8: %q", body)
		}
		for _, r := range body {
			if (r < 0x20 && r != '\n') || (0x7f <= r && r < 0xa0) || r == '\u202e' {
				t.Fatalf("text body lets %U through: %q", r, body)
			}
		}
	default:
		t.Fatalf("Content-Type %q", p.ContentType)
	}
}

// FuzzProbe: whatever the method, kind, check, query and Accept header,
// Registry.Probe never panics, answers with a known status, valid JSON or
// inert text and no secret, answers HEAD as GET without the body, and
// leaves the lifecycle alone when the query excludes a startup check.
func FuzzProbe(f *testing.F) {
	for _, s := range []struct {
		method       string
		kind         uint8
		check, query string
		accept       string
	}{
		{"GET", uint8(Readiness), "", "", ""},
		{"GET", uint8(Startup), "", "exclude=migrations", ""},
		{"GET", uint8(Readiness), "", "exclude=migrations&verbose", "*/*"},
		{"HEAD", uint8(Liveness), "", "verbose", ""},
		{"GET", uint8(Readiness), "db", "verbose=true", "application/health+json"},
		{"GET", uint8(Readiness), "cache", "", "application/json;q=0.1, application/health+json"},
		{"GET", uint8(Readiness), "\x1b[2J", "", ""},
		{"GET", uint8(Readiness), "", "exclude=%1B&exclude=db", ""},
		{"POST", uint8(Readiness), "", "", ""},
		{"GET", 0, "", "", ""},
		{"GET", uint8(Readiness), "", "exclude=queue&exclude=queue&exclude=cache", "application/*;q=NaN"},
		{"GET", uint8(Startup), "boot", "verbose&exclude=boot", "*/*;q=0"},
	} {
		f.Add(s.method, s.kind, s.check, s.query, s.accept)
	}
	f.Fuzz(func(t *testing.T, method string, kind uint8, check, query, accept string) {
		r := fuzzRegistry(t)
		ctx := context.Background()
		req := ProbeRequest{Method: method, Kind: Kind(kind), Check: check, RawQuery: query, Accept: accept}

		q, _ := parseQuery(query)
		filtered := slices.ContainsFunc(q.exclude, func(name string) bool {
			s := r.lookup(name)
			return s != nil && s.check.Kinds&Startup != 0
		})
		p := r.Probe(ctx, req)
		checkProbeResponse(t, p)
		if filtered && r.State() != StateStarting {
			t.Fatalf("a probe excluding a startup check moved the lifecycle to %v", r.State())
		}
		if method != http.MethodGet && method != http.MethodHead {
			return
		}
		// Probes are deterministic here once the lifecycle has settled: the
		// first may have ended Starting.
		req.Method = http.MethodGet
		get := r.Probe(ctx, req)
		req.Method = http.MethodHead
		head := r.Probe(ctx, req)
		checkProbeResponse(t, get)
		if head.Body != nil || head.Code != get.Code || head.ContentType != get.ContentType || head.Allow != get.Allow {
			t.Fatalf("HEAD %+v differs from GET %d %q %q", head, get.Code, get.ContentType, get.Allow)
		}
		if get.Body == nil {
			t.Fatal("GET without a body")
		}
	})
}

// FuzzHandler: the net/http handler, at the root and under a prefix, given
// any request line the server accepts and any Accept header, never panics,
// answers every non-probe path with its plain 404, and sends every answer
// with Cache-Control: no-store and nosniff.
func FuzzHandler(f *testing.F) {
	for _, s := range []string{"/readyz", "/readyz?verbose", "/internal/readyz/db?verbose&exclude=cache",
		"/livez/", "/readyz/%2F", "/readyz/a/b", "//readyz", "/ready?exclude=migrations", "*",
		"http://host/startupz?exclude=boot", "/healthz/%1b", "/metrics", "/internal"} {
		f.Add("GET", s, "")
		f.Add("HEAD", s, "application/health+json")
	}
	f.Fuzz(func(t *testing.T, method, target, accept string) {
		raw := method + " " + target + " HTTP/1.1\r\nHost: x\r\nAccept: " + accept + "\r\n\r\n"
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // the server would have refused it before any handler
		}
		r := fuzzRegistry(t)
		for _, h := range []struct {
			prefix  string
			handler http.Handler
		}{
			{"", r.Handler()},
			{"/internal", r.HandlerAt("internal")},
		} {
			w := httptest.NewRecorder()
			h.handler.ServeHTTP(w, req.Clone(context.Background()))
			rel, under := strings.CutPrefix(req.URL.Path, h.prefix)
			probe := under && IsEndpointPath(rel)
			if !probe && (w.Code != 404 || w.Body.String() != "404 page not found\n" && req.Method != http.MethodHead) {
				t.Fatalf("%s %q (prefix %q): %d %q, want the plain 404", req.Method, target, h.prefix, w.Code, w.Body)
			}
			if !under {
				continue // http.StripPrefix's own 404, as a mux mounting it never sends it such a path
			}
			if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("%s %q: headers %v", req.Method, target, w.Header())
			}
			checkProbeResponse(t, ProbeResponse{Code: w.Code, ContentType: w.Header().Get("Content-Type"),
				Allow: w.Header().Get("Allow"), Body: w.Body.Bytes()})
		}
	})
}
