package core

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// startingRegistry is starting: "boot" (startup) passes, "migrations"
// (startup and readiness) fails until the test says otherwise, "cache" is a
// readiness check only.
func startingRegistry(t *testing.T, migrated func() bool) *Registry {
	t.Helper()
	r := newTestRegistry(t, Options{})
	for _, c := range []Check{
		{Name: "boot", Kinds: Startup, Check: ok},
		{Name: "migrations", Kinds: Startup | Readiness, Check: func(context.Context) error {
			if migrated() {
				return nil
			}
			return Unhealthy("migrations running", nil)
		}},
		{Name: "cache", Check: ok},
	} {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// A probe that excludes a startup check never ends Starting, whatever it
// answers: lifecycle transitions come only from complete evaluations.
func TestFilteredProbeKeepsLifecycle(t *testing.T) {
	t.Parallel()
	text := "text/plain; charset=utf-8"
	for _, tt := range []struct {
		target, body string
	}{
		{"/startupz?exclude=migrations", `"message":"` + startingExcluded + `"`},
		{"/readyz?exclude=migrations", `"message":"` + startingExcluded + `"`},
		{"/ready?exclude=migrations&exclude=cache", `"message":"` + startingExcluded + `"`},
		{"/startupz?verbose&exclude=migrations", "[+]boot ok\n[+]migrations excluded: ok\n[-]startup failed: " + startingExcluded + "\nstartupz check failed\n"},
		{"/readyz?verbose&exclude=migrations", "[+]boot ok\n[+]migrations excluded: ok\n[-]startup failed: " + startingExcluded + "\nreadyz check failed\n"},
	} {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			r := startingRegistry(t, func() bool { return false })
			h := r.Handler()
			w := serve(h, http.MethodGet, tt.target)
			if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), tt.body) {
				t.Fatalf("%s = %d %q, want 503 with %q", tt.target, w.Code, w.Body, tt.body)
			}
			if strings.Contains(tt.target, "verbose") && w.Header().Get("Content-Type") != text {
				t.Errorf("Content-Type = %q", w.Header().Get("Content-Type"))
			}
			if st := r.State(); st != StateStarting {
				t.Fatalf("state after %s = %v, want starting", tt.target, st)
			}
			if w := serve(h, http.MethodGet, "/readyz"); w.Code != http.StatusServiceUnavailable {
				t.Fatalf("/readyz after %s = %d %s, want 503 while migrations run", tt.target, w.Code, w.Body)
			}
		})
	}
}

// The exported Evaluate follows the same rule.
func TestEvaluateExcludeKeepsLifecycle(t *testing.T) {
	t.Parallel()
	r := startingRegistry(t, func() bool { return false })
	for _, kind := range []Kind{Startup, Readiness} {
		rep, err := r.Evaluate(context.Background(), kind, "migrations", "migrations")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Status != StatusUnavailable || rep.Message != startingExcluded {
			t.Errorf("%v excluding migrations = %v %q", kind, rep.Status, rep.Message)
		}
	}
	if st := r.State(); st != StateStarting {
		t.Fatalf("state = %v, want starting", st)
	}
}

// An exclude that leaves the startup gate whole (a readiness-only check)
// does not filter the gate: such a probe may still end Starting, and the
// complete unfiltered probe certainly does once migrations pass.
func TestCompleteGateEndsStarting(t *testing.T) {
	t.Parallel()
	var migrated atomic.Bool
	r := startingRegistry(t, migrated.Load)
	h := r.Handler()
	if w := serve(h, http.MethodGet, "/readyz?exclude=cache"); w.Code != http.StatusServiceUnavailable || r.State() != StateStarting {
		t.Fatalf("/readyz?exclude=cache while migrating = %d, state %v", w.Code, r.State())
	}
	migrated.Store(true)
	w := serve(h, http.MethodGet, "/readyz?exclude=cache&verbose")
	if want := "[+]cache excluded: ok\n[+]migrations ok\nreadyz check passed\n"; w.Code != http.StatusOK || w.Body.String() != want {
		t.Fatalf("/readyz?exclude=cache&verbose = %d %q, want 200 %q", w.Code, w.Body, want)
	}
	if st := r.State(); st != StateReady {
		t.Fatalf("state = %v, want ready", st)
	}
}

// ?verbose is text/plain; charset=utf-8 read in terminals: a message's
// control characters, C1 controls, bidi overrides and invalid UTF-8 are
// escaped, never passed through.
func TestVerboseEscapesMessages(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	msg := "a\x1b[31mb\x07c\x00d\xffe\u009b\u202ef\x7fg\tline\r\nh"
	if err := r.Register(Check{Name: "db", Check: func(context.Context) error { return Unhealthy(msg, nil) }}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	w := serve(r.Handler(), http.MethodGet, "/readyz?verbose")
	want := "[-]db failed: a\\u001b[31mb\\u0007c\\u0000d\ufffde\\u009b\\u202ef\\u007fg line  h\nreadyz check failed\n"
	if got := w.Body.String(); got != want {
		t.Fatalf("verbose body\n got %q\nwant %q", got, want)
	}
}

// appendText leaves nothing a terminal interprets, whatever the input.
func TestAppendTextIsInert(t *testing.T) {
	t.Parallel()
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	for _, s := range []string{string(all), "\u0085\u2028\u2029\u202a\u2066\u2069", "ok ünïcode 🙂"} {
		out := appendText(nil, s)
		if !utf8.Valid(out) {
			t.Errorf("appendText(%q) is not valid UTF-8: %q", s, out)
		}
		for _, r := range string(out) {
			if r < 0x20 || (0x7f <= r && r < 0xa0) || r == '\u2028' || r == '\u2029' || (0x202a <= r && r <= 0x202e) || (0x2066 <= r && r <= 0x2069) {
				t.Errorf("appendText(%q) lets %U through: %q", s, r, out)
			}
		}
	}
}

// Reasons of 400s and 404s quote what the request said with escapes, and
// cut a long value on a rune boundary.
func TestPlainReasonsEscaped(t *testing.T) {
	t.Parallel()
	r := contractRegistry(t, Options{})
	h := r.Handler()
	for _, target := range []string{
		"/readyz?exclude=%1B%5B2J%07",
		"/readyz?exclude=%FF%FE",
		"/readyz?verbose=%1B%5B2J",
		"/readyz/%1B%5B2J%E2%80%AE",
		"/readyz?exclude=" + strings.Repeat("%C3%A9", 40),
	} {
		w := serve(h, http.MethodGet, target)
		body := w.Body.String()
		if w.Code/100 != 4 || !utf8.ValidString(body) || strings.ContainsFunc(strings.TrimSuffix(body, "\n"), func(r rune) bool {
			return r < 0x20 || (0x7f <= r && r < 0xa0) || r == '\u202e' || r == utf8.RuneError
		}) {
			t.Errorf("%s = %d %q: want a 4xx with an escaped reason", target, w.Code, body)
		}
	}
}

// The query is bounded before it is parsed, exclude names are bounded in
// number, and duplicates count once.
func TestQueryBounds(t *testing.T) {
	t.Parallel()
	r := contractRegistry(t, Options{})
	r.MarkStarted()
	h := r.Handler()
	many := strings.Repeat("exclude=redis&", maxExcludes)
	for _, tt := range []struct {
		target string
		code   int
		body   string
	}{
		{"/readyz?x=" + strings.Repeat("a", maxQueryLen), 400, "query too long: 4098 bytes, at most 4096\n"},
		{"/readyz?exclude=" + strings.Repeat("a", 1<<20), 400, "query too long: 1048584 bytes, at most 4096\n"},
		{"/readyz?" + many + "exclude=redis", 400, "exclude: more than 64 names\n"},
		{"/readyz?verbose&" + many, 200, "[+]postgres ok\n[+]redis excluded: ok\nreadyz check passed\n"},
		{"/readyz?verbose&exclude=redis&exclude=postgres&exclude=redis", 200, "[+]postgres excluded: ok\n[+]redis excluded: ok\nreadyz check passed\n"},
	} {
		w := serve(h, http.MethodGet, tt.target)
		if w.Code != tt.code || w.Body.String() != tt.body {
			t.Errorf("%.60s... = %d %q, want %d %q", tt.target, w.Code, w.Body, tt.code, tt.body)
		}
	}
}

func TestExcludeSet(t *testing.T) {
	t.Parallel()
	set := excludeSet([]string{"c", "a", "b", "a", "c"})
	if strings.Join(set, ",") != "a,b,c" {
		t.Fatalf("excludeSet = %q", set)
	}
	for _, name := range []string{"a", "b", "c"} {
		if !isExcluded(set, name) {
			t.Errorf("%q not excluded", name)
		}
	}
	for _, name := range []string{"", "aa", "d", "0"} {
		if isExcluded(set, name) {
			t.Errorf("%q excluded", name)
		}
	}
}

// Accept is negotiated under RFC 9110 between application/json (default)
// and application/health+json.
func TestAcceptNegotiation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		accept string
		health bool
	}{
		{"", false},
		{"*/*", false},
		{"application/json", false},
		{"application/health+json", true},
		{"APPLICATION/HEALTH+JSON", true},
		{"application/health+json;charset=utf-8", true},
		{"text/html, Application/Health+JSON;q=0.9", true},
		{"application/health+json;q=0, application/json", false},
		// q ordering, whatever the order of the list
		{"application/health+json;q=0.5, application/json", false},
		{"application/json;q=0.5, application/health+json", true},
		{"application/json;q=0.499, application/health+json;q=0.5", true},
		{"application/json ; q=0.9 , application/health+json ; q=1.0", true},
		// ties go to the default
		{"application/health+json, application/json", false},
		{"application/health+json;q=0.3, application/json;q=0.3", false},
		{"text/html", false},
		{"application/json;q=0, application/health+json;q=0", false},
		// specificity: the most specific range decides
		{"application/*, application/json;q=0.2", true},
		{"application/json;q=0, */*", true},
		{"*/*;q=0.1, application/health+json", true},
		{"application/health+json;q=0.1, */*", false},
		{"Application/*;q=0.5, application/health+json", true},
		// invalid qvalues and ranges are ignored, never taken as acceptance
		{"application/health+json;q=-1", false},
		{"application/health+json;q=NaN", false},
		{"application/health+json;q=1.5", false},
		{"application/health+json;q=1.001", false},
		{"application/health+json;q=0.0001", false},
		{"application/health+json;q=", false},
		{"application/health+json;q=.5", false},
		{"application/health+json;q=0x1", false},
		{"application/health+json;q=1e0", false},
		{"application/health+json;q=1.000", true},
		{"application/health+json;q=0.001", true},
		{"application/health+json;Q=0.7, application/json;q=0.6", true},
		{"application/json;q=-1, application/health+json;q=0.1", true},
		{"*/json, application/health+json;q=0.1", true},
		{"application/health+json;q=NaN, application/json;q=0.1", false},
		{"health+json", false},
		{"/health+json", false},
		{",,;,application/health+json", true},
	} {
		if got := preferHealthJSON(tt.accept); got != tt.health {
			t.Errorf("preferHealthJSON(%q) = %v, want %v", tt.accept, got, tt.health)
		}
	}
}

// Negotiation never allocates, so the cached probe stays at 0 allocs/op.
func TestAcceptNegotiationNoAlloc(t *testing.T) {
	for _, accept := range []string{"", "*/*", "application/json", "application/health+json",
		"text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8"} {
		if n := testing.AllocsPerRun(100, func() { preferHealthJSON(accept) }); n != 0 {
			t.Errorf("preferHealthJSON(%q): %v allocs", accept, n)
		}
	}
}

// HandlerAt and MountedAt take a prefix with or without its leading slash.
func TestHandlerAtWithoutSlash(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"internal", "/internal", "/internal/", "internal/"} {
		r := contractRegistry(t, Options{})
		mux := http.NewServeMux()
		mux.Handle("/internal/", r.HandlerAt(prefix))
		if w := serve(mux, http.MethodGet, "/internal/livez"); w.Code != http.StatusOK {
			t.Errorf("HandlerAt(%q): /internal/livez = %d %s", prefix, w.Code, w.Body)
		}
		if !r.IsProbePath("/internal/readyz") || r.IsProbePath("/readyz") {
			t.Errorf("HandlerAt(%q): mount point not recorded as /internal", prefix)
		}
	}
}

// Forgetting Start is diagnosable: the background checks say why they have
// not run, and one warning is logged.
func TestStartNotCalled(t *testing.T) {
	t.Parallel()
	var logs safeBuffer
	r := newTestRegistry(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := r.Register(Check{Name: "db", Interval: time.Hour, Check: ok}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	h := r.Handler()
	for _, target := range []string{"/readyz", "/readyz", "/readyz/db", "/readyz?exclude=db&verbose"} {
		w := serve(h, http.MethodGet, target)
		if target != "/readyz?exclude=db&verbose" && (w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), notStarted)) {
			t.Errorf("%s = %d %s, want 503 saying %q", target, w.Code, w.Body, notStarted)
		}
	}
	if n := strings.Count(logs.String(), "Registry.Start was not called"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return serve(h, http.MethodGet, "/readyz").Code == http.StatusOK })
}

// A check still in its InitialDelay after Start is "not run yet", even when
// the pre-rendered answer was made before Start.
func TestStartClearsNotStarted(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	if err := r.Register(Check{Name: "db", Interval: time.Hour, InitialDelay: time.Hour, Check: ok}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	h := r.Handler()
	if w := serve(h, http.MethodGet, "/readyz?verbose"); !strings.Contains(w.Body.String(), notStarted) {
		t.Fatalf("before Start: %q", w.Body)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := serve(h, http.MethodGet, "/readyz?verbose"); w.Body.String() != "[-]db failed: not run yet\nreadyz check failed\n" {
		t.Fatalf("after Start: %q", w.Body)
	}
}

// BenchmarkProbeExcludes: /readyz?verbose excluding 64 of 64 background
// checks, the most a query may name: the exclusion lookup is a binary
// search, so this stays near the cost of rendering the 64 names.
func BenchmarkProbeExcludes(b *testing.B) {
	r := newTestRegistry(b, Options{})
	var q strings.Builder
	q.WriteString("verbose")
	for i := range maxExcludes {
		name := "dependency-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
		if err := r.Register(Check{Name: name, Interval: time.Hour, Check: ok}); err != nil {
			b.Fatal(err)
		}
		q.WriteString("&exclude=" + name)
	}
	r.MarkStarted()
	req := ProbeRequest{Method: http.MethodGet, Kind: Readiness, RawQuery: q.String()}
	if p := r.Probe(context.Background(), req); p.Code != http.StatusOK {
		b.Fatalf("%d %s", p.Code, p.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Probe(context.Background(), req)
	}
}

// BenchmarkAcceptNegotiation: a browser's Accept header, the longest a
// probe commonly meets. 0 allocs/op.
func BenchmarkAcceptNegotiation(b *testing.B) {
	accept := "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	b.ReportAllocs()
	for b.Loop() {
		preferHealthJSON(accept)
	}
}

// Routers match the escaped path: an escaped slash is data, not a
// separator, and an endpoint spelled with escapes is no endpoint, so
// "/readyz%2F" and "/ready%7A" are no probe paths, though their unescaped
// forms are (found by chihealth's FuzzMatchesCore); an escaped check name
// is still a check name, as a router's path parameter would be. The drain
// middleware agrees: such a request is counted like any other.
func TestEscapedPathsAreRoutedAsEscaped(t *testing.T) {
	t.Parallel()
	r := contractRegistry(t, Options{})
	h := r.Handler()
	notProbes := []string{"/readyz%2F", "/readyz%2fpostgres", "/livez%2F", "/readyz/postgres%2F", "/ready%7A", "/%72eadyz", "/readyz%2Fpostgres"}
	for _, target := range notProbes {
		if w := serve(h, http.MethodGet, target); w.Code != http.StatusNotFound || w.Body.String() != "404 page not found\n" {
			t.Errorf("%s = %d %q, want the plain 404", target, w.Code, w.Body)
		}
	}
	for _, target := range []string{"/readyz/", "/readyz/postgres", "/readyz/%70ostgres"} {
		if w := serve(h, http.MethodGet, target); w.Code == http.StatusNotFound {
			t.Errorf("%s = 404 %q, want a probe", target, w.Body)
		}
	}
	for _, target := range notProbes {
		var counted int64
		drained := r.Drain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { counted = r.InFlight().Count() }))
		drained.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
		if counted != 1 {
			t.Errorf("Drain counted %s as %d requests, want 1: it is no probe to the router", target, counted)
		}
	}
}
