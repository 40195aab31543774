package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// The probe suites: the full contract at the root and under a prefix, and
// the registry states that change status codes.
var probeSuites = []testCase{
	{"Root", func(t *testing.T, serve ServeFunc) { runContract(t, serve, "") }},
	{"Prefix", func(t *testing.T, serve ServeFunc) { runContract(t, serve, "/internal") }},
	{"DegradedUnavailable", runDegradedUnavailable},
	{"Starting", runStarting},
}

// Media types of probe responses.
const (
	ctJSON       = "application/json"
	ctHealthJSON = "application/health+json"
	ctText       = "text/plain; charset=utf-8"
)

// probeCase is one request and what its response must be. Besides these
// expectations, every probe response must equal core's Handler's answer.
type probeCase struct {
	method string // default GET
	target string // path and query, relative to the probe prefix
	accept string

	code        int
	contentType string
	allow       string
	contains    []string           // substrings of the body
	body        string             // the exact body, if set
	check       func([]byte) error // further checks of the body

	// notProbe marks a path that no probe endpoint matches: the router
	// answers it, so only the status code is checked.
	notProbe bool
	// unprefixed sends target as is, not under the prefix.
	unprefixed bool
}

func (c probeCase) name() string {
	n := c.method + " " + c.target
	if c.accept != "" {
		n += " Accept=" + c.accept
	}
	return n
}

const (
	hour         = time.Hour // background checks that run once per test
	queueReason  = `queue <depth> & "lag" too high`
	cacheReason  = "cache: connection refused"
	cacheSecret  = "password=hunter2"
	readyFailMsg = "failed: queue; degraded: cache, search"
)

// contractChecks covers every status and kind. All but "config" run in the
// background, so their results (and so the responses) do not change between
// the adapter's answer and core's; "config" keeps readiness off the
// pre-rendered fast path, so both paths are exercised.
func contractChecks() []core.Check {
	ok := func(context.Context) error { return nil }
	return []core.Check{
		{Name: "boot", Kinds: core.Startup, Interval: hour, Check: ok},
		{Name: "cache", Optional: true, Interval: hour, Check: func(context.Context) error {
			return core.Unhealthy(cacheReason, errors.New("dial 10.1.2.3:6379 "+cacheSecret))
		}},
		{Name: "config", Check: ok},
		{Name: "db", Interval: hour, Check: ok},
		{Name: "disk", Kinds: core.Liveness | core.Readiness, Interval: hour, Check: ok},
		{Name: "goroutines", Kinds: core.Liveness, Interval: hour, Check: ok},
		{Name: "queue", Interval: hour, Check: func(context.Context) error { return core.Unhealthy(queueReason, nil) }},
		{Name: "search", Interval: hour, Check: func(context.Context) error { return core.Degraded("search: slow replica", nil) }},
	}
}

var contractCases = []probeCase{
	// The five paths, JSON by default.
	{target: "/livez", code: 200, contentType: ctJSON, contains: []string{`"status":"ok"`, `"goroutines":{`, `"disk":{`}},
	{target: "/healthz", code: 200, contentType: ctJSON, contains: []string{`"status":"ok"`, `"goroutines":{`}},
	{target: "/readyz", code: 503, contentType: ctJSON, check: checkReadyJSON},
	{target: "/ready", code: 503, contentType: ctJSON, check: checkReadyJSON},
	{target: "/startupz", code: 200, contentType: ctJSON, contains: []string{`"status":"ok"`, `"boot":{`}},

	// A trailing slash is the same probe.
	{target: "/readyz/", code: 503, contentType: ctJSON, check: checkReadyJSON},
	{target: "/livez/?verbose", code: 200, contentType: ctText, body: "[+]disk ok\n[+]goroutines ok\nlivez check passed\n"},

	// ?exclude, repeatable; names that are not checks of the kind are a 400.
	{target: "/readyz?exclude=queue", code: 200, contentType: ctJSON, contains: []string{`"status":"degraded"`, `"message":"degraded: cache, search"`}, check: without("queue")},
	{target: "/readyz?exclude=queue&exclude=cache&exclude=search", code: 200, contentType: ctJSON, contains: []string{`"status":"ok"`, `"message":""`}, check: without("queue", "cache", "search")},
	{target: "/readyz?exclude=nope", code: 400, contentType: ctText, body: "exclude: \"nope\" is not a readyz check\n"},
	{target: "/livez?exclude=queue", code: 400, contentType: ctText, body: "exclude: \"queue\" is not a livez check\n"},
	{target: "/readyz?exclude=", code: 400, contentType: ctText, body: "exclude: empty check name\n"},
	{target: "/readyz?exclude=queue&exclude=nope", code: 400, contentType: ctText, body: "exclude: \"nope\" is not a readyz check\n"},

	// ?verbose: the apiserver text form.
	{target: "/readyz?verbose", code: 503, contentType: ctText, body: "[-]cache degraded: " + cacheReason + "\n[+]config ok\n[+]db ok\n[+]disk ok\n[-]queue failed: " + queueReason + "\n[-]search degraded: search: slow replica\nreadyz check failed\n"},
	{target: "/livez?verbose", code: 200, contentType: ctText, body: "[+]disk ok\n[+]goroutines ok\nlivez check passed\n"},
	{target: "/healthz?verbose=true", code: 200, contentType: ctText, body: "[+]disk ok\n[+]goroutines ok\nlivez check passed\n"},
	{target: "/readyz?verbose&exclude=queue", code: 200, contentType: ctText, contains: []string{"[-]search degraded", "readyz check passed\n"}},
	{target: "/readyz?verbose=false", code: 503, contentType: ctJSON, check: checkReadyJSON},
	{target: "/readyz?verbose=maybe", code: 400, contentType: ctText, body: "verbose: want no value, true or false, got \"maybe\"\n"},
	{target: "/startupz?verbose", code: 200, contentType: ctText, body: "[+]boot ok\nstartupz check passed\n"},

	// Unknown parameters are ignored.
	{target: "/readyz?foo=bar&x", code: 503, contentType: ctJSON, check: checkReadyJSON},
	{target: "/livez?pretty=1&verbose", code: 200, contentType: ctText, body: "[+]disk ok\n[+]goroutines ok\nlivez check passed\n"},

	// application/health+json through Accept.
	{target: "/readyz", accept: ctHealthJSON, code: 503, contentType: ctHealthJSON, check: checkReadyHealthJSON},
	{target: "/livez", accept: ctHealthJSON, code: 200, contentType: ctHealthJSON, contains: []string{`"status":"pass"`, `"disk:responseTime":[{`}},
	{target: "/readyz?exclude=queue", accept: ctHealthJSON, code: 200, contentType: ctHealthJSON, contains: []string{`"status":"warn"`}},
	{target: "/readyz?verbose", accept: ctHealthJSON, code: 503, contentType: ctText, contains: []string{"readyz check failed\n"}},

	// Per-check paths.
	{target: "/readyz/db", code: 200, contentType: ctJSON, contains: []string{`"status":"ok"`, `"db":{`}, check: without("queue")},
	{target: "/ready/db", code: 200, contentType: ctJSON, contains: []string{`"db":{`}},
	{target: "/readyz/config", code: 200, contentType: ctJSON, contains: []string{`"config":{"status":"ok"`}},
	{target: "/readyz/search", code: 200, contentType: ctJSON, contains: []string{`"status":"degraded"`}},
	{target: "/readyz/queue", code: 503, contentType: ctJSON, contains: []string{`"status":"unavailable"`}},
	{target: "/readyz/cache", code: 503, contentType: ctJSON, contains: []string{`"critical":false`}},
	{target: "/livez/disk", code: 200, contentType: ctJSON, contains: []string{`"disk":{`}},
	{target: "/healthz/goroutines", code: 200, contentType: ctJSON, contains: []string{`"goroutines":{`}},
	{target: "/startupz/boot", code: 200, contentType: ctJSON, contains: []string{`"boot":{`}},
	{target: "/readyz/db?verbose", code: 200, contentType: ctText, body: "[+]db ok\nreadyz check passed\n"},
	{target: "/readyz/queue", accept: ctHealthJSON, code: 503, contentType: ctHealthJSON, contains: []string{`"status":"fail"`}},

	// Unknown checks, or checks of another kind, are a 404 from the probe.
	{target: "/readyz/nope", code: 404, contentType: ctText, body: "unknown readyz check \"nope\"\n"},
	{target: "/livez/db", code: 404, contentType: ctText, body: "unknown livez check \"db\"\n"},
	{target: "/startupz/db", code: 404, contentType: ctText, body: "unknown startupz check \"db\"\n"},
	{target: "/readyz/no%20such", code: 404, contentType: ctText, body: "unknown readyz check \"no such\"\n"},
	{method: http.MethodHead, target: "/readyz/nope", code: 404, contentType: ctText, body: ""},

	// HEAD: status and headers without a body.
	{method: http.MethodHead, target: "/readyz", code: 503, contentType: ctJSON, body: ""},
	{method: http.MethodHead, target: "/livez", code: 200, contentType: ctJSON, body: ""},
	{method: http.MethodHead, target: "/readyz/db", code: 200, contentType: ctJSON, body: ""},
	{method: http.MethodHead, target: "/readyz?verbose", code: 503, contentType: ctText, body: ""},

	// Other methods: 405 with Allow.
	{method: http.MethodPost, target: "/readyz", code: 405, contentType: ctText, allow: "GET, HEAD", body: "method not allowed: use GET or HEAD\n"},
	{method: http.MethodPut, target: "/livez", code: 405, contentType: ctText, allow: "GET, HEAD", body: "method not allowed: use GET or HEAD\n"},
	{method: http.MethodDelete, target: "/startupz", code: 405, contentType: ctText, allow: "GET, HEAD"},
	{method: http.MethodPost, target: "/healthz", code: 405, contentType: ctText, allow: "GET, HEAD"},
	{method: http.MethodPatch, target: "/ready", code: 405, contentType: ctText, allow: "GET, HEAD"},
	{method: http.MethodPost, target: "/readyz/db", code: 405, contentType: ctText, allow: "GET, HEAD"},
	{method: http.MethodPost, target: "/readyz?exclude=nope", code: 405, contentType: ctText, allow: "GET, HEAD"},

	// Paths no probe serves.
	{target: "/readyz/db/extra", code: 404, notProbe: true},
	{target: "/readyzz", code: 404, notProbe: true},
	{target: "/livez-x", code: 404, notProbe: true},
	{target: "/readyz/a%2Fb", code: 404, notProbe: true},
}

// runContract serves the contract registry under prefix and runs every
// contract case against it.
func runContract(t *testing.T, serve ServeFunc, prefix string) {
	h := newRegistry(t, core.Options{}, contractChecks()...)
	s := startServer(t, serve, h, Config{Prefix: prefix})
	c := newClient(t, true)

	cases := contractCases
	if prefix != "" {
		cases = append(slices.Clone(cases),
			// Under a prefix, the root paths are not probes.
			probeCase{target: "/readyz", unprefixed: true, notProbe: true, code: 404},
			probeCase{target: "/livez/disk", unprefixed: true, notProbe: true, code: 404},
		)
	}
	for _, pc := range cases {
		t.Run(pc.name(), func(t *testing.T) { s.expect(t, c, pc) })
	}
	t.Run("business route", func(t *testing.T) {
		r := mustDo(t, c, http.MethodGet, s.url("/app/hello?x=1"), "")
		if r.code != 200 || string(r.body) != "app\n" {
			t.Errorf("GET /app/hello: %d %q, want 200 %q", r.code, r.body, "app\n")
		}
	})
	t.Run("no error details", func(t *testing.T) {
		// The raw error of a check must not leak without ExposeErrors.
		for _, target := range []string{"/readyz", "/readyz?verbose", "/readyz/cache"} {
			for _, accept := range []string{"", ctHealthJSON} {
				r := mustDo(t, c, http.MethodGet, s.probeURL(target), accept)
				if strings.Contains(string(r.body), cacheSecret) {
					t.Errorf("GET %s (Accept %q) shows the raw check error: %s", target, accept, r.body)
				}
			}
		}
	})
}

// runDegradedUnavailable: with Options.DegradedUnavailable a degraded
// report answers 503.
func runDegradedUnavailable(t *testing.T, serve ServeFunc) {
	h := newRegistry(t, core.Options{DegradedUnavailable: true},
		core.Check{Name: "db", Interval: hour, Check: func(context.Context) error { return nil }},
		core.Check{Name: "cache", Optional: true, Interval: hour, Check: func(context.Context) error {
			return core.Unhealthy(cacheReason, nil)
		}},
	)
	s := startServer(t, serve, h, Config{})
	c := newClient(t, true)
	for _, pc := range []probeCase{
		{target: "/readyz", code: 503, contentType: ctJSON, contains: []string{`"status":"degraded"`, `"message":"degraded: cache"`}},
		{target: "/readyz?verbose", code: 503, contentType: ctText, body: "[-]cache degraded: " + cacheReason + "\n[+]db ok\nreadyz check failed\n"},
		{target: "/readyz", accept: ctHealthJSON, code: 503, contentType: ctHealthJSON, contains: []string{`"status":"warn"`}},
		{target: "/readyz?exclude=cache", code: 200, contentType: ctJSON, contains: []string{`"status":"ok"`}},
		{target: "/livez", code: 200, contentType: ctJSON, contains: []string{`"status":"ok"`, `"checks":{}`}},
	} {
		t.Run(pc.name(), func(t *testing.T) { s.expect(t, c, pc) })
	}
}

// runStarting: until the startup checks pass, startup and readiness fail
// with "starting"; liveness does not.
func runStarting(t *testing.T, serve ServeFunc) {
	h := newRegistry(t, core.Options{},
		core.Check{Name: "warmup", Kinds: core.Startup, Interval: hour, Check: func(context.Context) error {
			return core.Unhealthy("warming caches", nil)
		}},
		core.Check{Name: "db", Interval: hour, Check: func(context.Context) error { return nil }},
	)
	s := startServer(t, serve, h, Config{})
	c := newClient(t, true)
	for _, pc := range []probeCase{
		{target: "/startupz", code: 503, contentType: ctJSON, contains: []string{`"status":"unavailable"`, `"message":"starting"`}},
		{target: "/readyz", code: 503, contentType: ctJSON, contains: []string{`"message":"starting"`, `"warmup":{`}},
		{target: "/readyz?verbose", code: 503, contentType: ctText, body: "[-]warmup failed: warming caches\nreadyz check failed\n"},
		{target: "/livez", code: 200, contentType: ctJSON, contains: []string{`"status":"ok"`}},
		{target: "/startupz/warmup", code: 503, contentType: ctJSON, contains: []string{`"status":"unavailable"`}},
	} {
		t.Run(pc.name(), func(t *testing.T) { s.expect(t, c, pc) })
	}
	if st := h.State(); st != core.StateStarting {
		t.Errorf("state after probes = %v, want starting", st)
	}
}

// expect sends pc to the server and checks the response against pc and,
// for probe paths, against core's Handler.
func (s *server) expect(t *testing.T, c *http.Client, pc probeCase) {
	t.Helper()
	method := pc.method
	if method == "" {
		method = http.MethodGet
	}
	url := s.probeURL(pc.target)
	if pc.unprefixed {
		url = s.url(pc.target)
	}
	got := mustDo(t, c, method, url, pc.accept)
	if got.code != pc.code {
		t.Errorf("status = %d, want %d; body: %s", got.code, pc.code, got.body)
	}
	if pc.notProbe {
		return
	}
	want := reference(s.h, method, pc.target, pc.accept)

	if ct := got.header.Get("Content-Type"); ct != pc.contentType {
		t.Errorf("Content-Type = %q, want %q", ct, pc.contentType)
	}
	if cc := got.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if a := got.header.Get("Allow"); a != pc.allow {
		t.Errorf("Allow = %q, want %q", a, pc.allow)
	}
	body := string(got.body)
	if pc.body != "" || method == http.MethodHead {
		if body != pc.body {
			t.Errorf("body = %q, want %q", body, pc.body)
		}
	}
	for _, sub := range pc.contains {
		if !strings.Contains(body, sub) {
			t.Errorf("body does not contain %s: %s", sub, body)
		}
	}
	if pc.check != nil {
		if err := pc.check(got.body); err != nil {
			t.Errorf("%v; body: %s", err, body)
		}
	}

	// Byte for byte with core's own handler.
	if got.code != want.code {
		t.Errorf("status = %d, core's handler answers %d", got.code, want.code)
	}
	for _, k := range []string{"Content-Type", "Cache-Control", "X-Content-Type-Options", "Allow"} {
		if g, w := got.header.Values(k), want.header.Values(k); !slices.Equal(g, w) {
			t.Errorf("header %s = %q, core's handler sets %q", k, g, w)
		}
	}
	if g, w := normalize(got.body), normalize(want.body); g != w {
		t.Errorf("body differs from core's handler (normalised)\n got: %s\nwant: %s", g, w)
	}
}

// reference is core's own handler's answer to the request, for comparison.
func reference(h *core.Registry, method, target, accept string) response {
	req := httptest.NewRequest(method, target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, req)
	return response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

var (
	timeRE     = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`)
	durationRE = regexp.MustCompile(`"(duration_ms|observedValue)":\d+(\.\d+)?`)
)

// normalize replaces what legitimately differs between two evaluations of
// the same registry: report times and the durations of synchronous checks.
func normalize(b []byte) string {
	s := timeRE.ReplaceAllString(string(b), `"<time>"`)
	return durationRE.ReplaceAllString(s, `"$1":<ms>`)
}

// checkReadyJSON checks every field of the contract registry's readiness
// report in probekit's JSON format.
func checkReadyJSON(b []byte) error {
	var rep struct {
		Status, Message, Service, Version, Instance string
		Timestamp                                   time.Time
		Checks                                      map[string]*struct {
			Status, Message     string
			DurationMS          *float64   `json:"duration_ms"`
			LastSuccess         *time.Time `json:"last_success"`
			ConsecutiveFailures *int       `json:"consecutive_failures"`
			Critical            *bool
		}
	}
	if err := strictJSON(b, &rep); err != nil {
		return err
	}
	var errs []error
	expect := func(field, got, want string) {
		if got != want {
			errs = append(errs, fmt.Errorf("%s = %q, want %q", field, got, want))
		}
	}
	expect("status", rep.Status, "unavailable")
	expect("message", rep.Message, readyFailMsg)
	expect("service", rep.Service, "conformance")
	expect("version", rep.Version, "v1.2.3")
	expect("instance", rep.Instance, "conformance-0")
	if rep.Timestamp.IsZero() {
		errs = append(errs, errors.New("timestamp missing"))
	}
	names := make([]string, 0, len(rep.Checks))
	for n := range rep.Checks {
		names = append(names, n)
	}
	slices.Sort(names)
	expect("check names", strings.Join(names, ","), "cache,config,db,disk,queue,search")
	want := map[string]struct {
		status, message string
		critical        bool
	}{
		"cache":  {"unavailable", cacheReason, false},
		"config": {"ok", "", true},
		"db":     {"ok", "", true},
		"disk":   {"ok", "", true},
		"queue":  {"unavailable", queueReason, true},
		"search": {"degraded", "search: slow replica", true},
	}
	for name, w := range want {
		c := rep.Checks[name]
		if c == nil {
			continue
		}
		expect(name+".status", c.Status, w.status)
		expect(name+".message", c.Message, w.message)
		if c.DurationMS == nil || *c.DurationMS < 0 {
			errs = append(errs, errors.New(name+".duration_ms missing or negative"))
		}
		if c.ConsecutiveFailures == nil {
			errs = append(errs, errors.New(name+".consecutive_failures missing"))
		} else if failing := w.status != "ok"; failing != (*c.ConsecutiveFailures > 0) {
			errs = append(errs, errors.New(name+".consecutive_failures does not match its status"))
		}
		if c.Critical == nil || *c.Critical != w.critical {
			errs = append(errs, errors.New(name+".critical wrong or missing"))
		}
		if (c.LastSuccess != nil) != (w.status == "ok") {
			errs = append(errs, errors.New(name+".last_success: want a time exactly when the check passed"))
		}
	}
	return errors.Join(errs...)
}

// checkReadyHealthJSON checks the contract registry's readiness report in
// the IETF application/health+json format.
func checkReadyHealthJSON(b []byte) error {
	type component struct {
		ComponentID   string  `json:"componentId"`
		ObservedValue float64 `json:"observedValue"`
		ObservedUnit  string  `json:"observedUnit"`
		Status        string  `json:"status"`
		Time          time.Time
		Output        string
	}
	var rep struct {
		Status, Version, Output string
		ServiceID               string `json:"serviceId"`
		Description             string
		Checks                  map[string][]component
	}
	if err := strictJSON(b, &rep); err != nil {
		return err
	}
	var errs []error
	expect := func(field, got, want string) {
		if got != want {
			errs = append(errs, fmt.Errorf("%s = %q, want %q", field, got, want))
		}
	}
	expect("status", rep.Status, "fail")
	expect("version", rep.Version, "v1.2.3")
	expect("serviceId", rep.ServiceID, "conformance")
	expect("description", rep.Description, "conformance on conformance-0")
	expect("output", rep.Output, readyFailMsg)
	for name, status := range map[string]string{"cache": "fail", "config": "pass", "db": "pass", "disk": "pass", "queue": "fail", "search": "warn"} {
		list := rep.Checks[name+":responseTime"]
		if len(list) != 1 {
			errs = append(errs, errors.New("checks."+name+":responseTime: want one component"))
			continue
		}
		c := list[0]
		expect(name+".componentId", c.ComponentID, name)
		expect(name+".observedUnit", c.ObservedUnit, "ms")
		expect(name+".status", c.Status, status)
		if c.Time.IsZero() {
			errs = append(errs, errors.New(name+".time missing"))
		}
	}
	if len(rep.Checks) != 6 {
		errs = append(errs, errors.New("want 6 checks"))
	}
	return errors.Join(errs...)
}

// without returns a body check that the named checks are absent.
func without(names ...string) func([]byte) error {
	return func(b []byte) error {
		var rep struct{ Checks map[string]json.RawMessage }
		if err := json.Unmarshal(b, &rep); err != nil {
			return err
		}
		for _, n := range names {
			if _, ok := rep.Checks[n]; ok {
				return errors.New("check " + n + " is in the report, want it left out")
			}
		}
		return nil
	}
}

// strictJSON decodes b into v, rejecting unknown fields so that a renamed or
// extra field is noticed.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
