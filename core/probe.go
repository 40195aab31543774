package core

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Endpoint is one probe path and the kind it evaluates.
type Endpoint struct {
	// Path is the path under the mount point: "/livez", "/readyz", ...
	Path string
	// Kind is the probe kind the path evaluates.
	Kind Kind
}

// Endpoints returns the probe paths every handler serves, in order:
// /livez, /readyz, /startupz and the aliases /healthz (liveness) and /ready
// (readiness). Each also serves /{path}/{check} for one check.
func Endpoints() []Endpoint {
	return []Endpoint{
		{"/livez", Liveness},
		{"/readyz", Readiness},
		{"/startupz", Startup},
		{"/healthz", Liveness},
		{"/ready", Readiness},
	}
}

// ProbeRequest is a probe, stripped of any framework: what the net/http
// handler and every adapter pass to [Registry.Probe]. Probe keeps no part of
// it after it returns, so its strings may point into a framework's reused
// request buffers (fasthttp's, for one) without being copied.
type ProbeRequest struct {
	// Method is the HTTP method; only GET and HEAD are allowed.
	Method string
	// Kind is the probe kind of the path (see Endpoints).
	Kind Kind
	// Check is the {check} path segment, unescaped; empty for the whole kind.
	Check string
	// RawQuery is the URL's query string without '?', still escaped.
	RawQuery string
	// Accept is the Accept header: negotiated under RFC 9110 between
	// application/json (the default, which wins ties) and
	// application/health+json (the IETF format).
	Accept string
}

// ProbeResponse is the answer to a ProbeRequest. Adapters write it as it is,
// which is what makes every adapter's responses identical to core's.
type ProbeResponse struct {
	// Code is the HTTP status code.
	Code int
	// ContentType is the Content-Type header value.
	ContentType string
	// Allow is the Allow header value for 405 responses, else empty.
	Allow string
	// Body is the response body: nil for HEAD. It may be shared with other
	// responses and must not be modified.
	Body []byte
}

// Header values of every probe response; see [ProbeResponse.Headers].
const (
	contentTypeJSON       = "application/json"
	contentTypeHealthJSON = "application/health+json"
	contentTypeText       = "text/plain; charset=utf-8"
	allowGetHead          = "GET, HEAD"
)

// Headers calls set for each header of the response: Content-Type,
// Cache-Control: no-store (a probe answer must never come from a cache),
// X-Content-Type-Options: nosniff, and Allow on 405.
func (p *ProbeResponse) Headers(set func(key, value string)) {
	set("Content-Type", p.ContentType)
	set("Cache-Control", "no-store")
	set("X-Content-Type-Options", "nosniff")
	if p.Allow != "" {
		set("Allow", p.Allow)
	}
}

// format is one of the response encodings.
type format uint8

const (
	formatJSON format = iota
	formatHealthJSON
	formatVerbose
	numFormats
)

// rendered is a pre-rendered response, valid while the registry's gen
// equals its gen.
type rendered struct {
	gen         uint64
	code        int
	contentType string
	body        []byte
}

// responseCache holds the fast-path responses, one per kind and format.
type responseCache struct {
	entries [3][numFormats]atomic.Pointer[rendered]
	mu      sync.Mutex // serializes re-rendering so a storm renders once
}

func kindIndex(k Kind) int {
	switch k {
	case Liveness:
		return 0
	case Readiness:
		return 1
	}
	return 2
}

// Probe answers one probe request. It never panics and never blocks longer
// than the slowest check's timeout. When every check the request needs is a
// background check, the answer is a pre-rendered response, re-rendered only
// when a result or the lifecycle state changes.
//
// A nil *Registry answers every probe with 500 "probekit: nil registry", the
// status of an internal failure: a wiring mistake fails every probe visibly
// instead of crashing the process.
func (r *Registry) Probe(ctx context.Context, req ProbeRequest) ProbeResponse {
	if r == nil {
		return withBody(req, http.StatusInternalServerError, contentTypeText, nilRegistry)
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return r.plain(req, http.StatusMethodNotAllowed, "method not allowed: use GET or HEAD", allowGetHead)
	}
	if req.Kind != Liveness && req.Kind != Readiness && req.Kind != Startup {
		return r.plain(req, http.StatusNotFound, "unknown probe", "")
	}
	q, msg := parseQuery(req.RawQuery)
	if msg != "" {
		return r.plain(req, http.StatusBadRequest, msg, "")
	}
	f := formatJSON
	switch {
	case q.verbose:
		f = formatVerbose
	case preferHealthJSON(req.Accept):
		f = formatHealthJSON
	}

	if req.Check != "" {
		s := r.lookup(req.Check)
		if s == nil || s.check.Kinds&req.Kind == 0 {
			return r.plain(req, http.StatusNotFound, "unknown "+req.Kind.String()+" check "+quote(req.Check), "")
		}
		res := s.evaluate(ctx)
		r.explainUnrun(s, &res)
		s.overlayDrill(&res)
		assumeAlive(req.Kind, &res)
		rep := Report{Kind: req.Kind, Status: res.Status, Message: res.Message, Time: r.now(), Checks: []Result{res}}
		code, ct, body := r.render(&rep, f, req.Kind.String(), nil)
		return withBody(req, code, ct, body)
	}

	for _, name := range q.exclude {
		if s := r.lookup(name); s == nil || s.check.Kinds&req.Kind == 0 {
			return r.plain(req, http.StatusBadRequest, "exclude: "+quote(name)+" is not a "+req.Kind.String()+" check", "")
		}
	}
	exclude := excludeSet(q.exclude)

	if len(exclude) == 0 && r.cacheable(req.Kind) {
		slot := &r.cache.entries[kindIndex(req.Kind)][f]
		if e := slot.Load(); e != nil && e.gen == r.gen.Load() {
			return withBody(req, e.code, e.contentType, e.body)
		}
		r.cache.mu.Lock()
		defer r.cache.mu.Unlock()
		gen := r.gen.Load()
		if e := slot.Load(); e != nil && e.gen == gen {
			return withBody(req, e.code, e.contentType, e.body)
		}
		rep := r.evaluate(ctx, req.Kind, nil)
		e := &rendered{gen: gen}
		e.code, e.contentType, e.body = r.render(&rep, f, req.Kind.String(), nil)
		if r.gen.Load() == gen { // a transition during evaluation re-renders next time
			slot.Store(e)
		}
		return withBody(req, e.code, e.contentType, e.body)
	}

	rep := r.evaluate(ctx, req.Kind, exclude)
	code, ct, body := r.render(&rep, f, req.Kind.String(), exclude)
	return withBody(req, code, ct, body)
}

// cacheable reports whether every check a probe of kind would read is a
// background check, so that its answer depends on stored results only.
//
// Never while starting, for readiness and startup: their evaluation may end
// Starting, and the transition reaches observers before it returns. An
// observer that probes the registry then (one mirroring the probes, such as
// a gRPC health server) would wait for the render lock held by the very
// probe that waits for it, and every later probe behind them both.
func (r *Registry) cacheable(kind Kind) bool {
	if kind != Liveness && r.State() == StateStarting {
		return false
	}
	need := kind
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, s := range r.sorted {
		if s.check.Kinds&need != 0 && s.check.Interval == 0 {
			return false
		}
	}
	return true
}

// StatusCode maps a status to the HTTP code the probes answer with.
func (r *Registry) StatusCode(s Status) int {
	switch {
	case s == StatusOK:
		return http.StatusOK
	case s == StatusDegraded && !r.opts.DegradedUnavailable:
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// render encodes rep in format f; name is the verbose form's last-line name
// and excluded the checks the request excluded, which only the verbose form
// lists.
func (r *Registry) render(rep *Report, f format, name string, excluded []string) (int, string, []byte) {
	code := r.StatusCode(rep.Status)
	m := meta{service: r.opts.Service, version: r.opts.Version, instance: r.opts.Instance}
	switch f {
	case formatHealthJSON:
		return code, contentTypeHealthJSON, appendHealthJSON(make([]byte, 0, 512), rep, m)
	case formatVerbose:
		return code, contentTypeText, appendVerbose(make([]byte, 0, 256), rep, excluded, name, code == http.StatusOK)
	}
	return code, contentTypeJSON, appendJSON(make([]byte, 0, 512), rep, m)
}

func (r *Registry) plain(req ProbeRequest, code int, msg, allow string) ProbeResponse {
	p := withBody(req, code, contentTypeText, []byte(msg+"\n"))
	p.Allow = allow
	return p
}

func withBody(req ProbeRequest, code int, ct string, body []byte) ProbeResponse {
	if req.Method == http.MethodHead {
		body = nil
	}
	return ProbeResponse{Code: code, ContentType: ct, Body: body}
}

var nilRegistry = []byte("probekit: nil registry\n")

// preferHealthJSON reports whether the Accept header prefers
// application/health+json to application/json, the default, under RFC 9110
// §12.5.1: each media type takes the weight of the most specific range that
// matches it ("application/json" before "application/*" before "*/*";
// parameters other than the weight are ignored, and of equally specific
// ranges the highest weight counts), a type no range matches is not
// acceptable, and a range whose weight breaks the qvalue grammar, or that is
// no type/subtype, is ignored. A tie, including a header that makes both
// unacceptable, goes to the default: probes are never answered 406. Media
// types compare case-insensitively. It does not allocate. text/plain is not
// negotiated: the verbose text form is asked for with ?verbose only.
func preferHealthJSON(accept string) bool {
	switch accept {
	case "", "*/*", contentTypeJSON:
		return false
	}
	json, health := weight{q: 0, spec: -1}, weight{q: 0, spec: -1}
	for accept != "" {
		var elem string
		elem, accept, _ = strings.Cut(accept, ",")
		mediaRange, params, _ := strings.Cut(elem, ";")
		typ, sub, ok := strings.Cut(strings.TrimSpace(mediaRange), "/")
		if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
			continue
		}
		q, ok := rangeWeight(params)
		if !ok {
			continue
		}
		var spec int
		switch {
		case typ == "*":
			spec = 0
		case !strings.EqualFold(typ, "application"):
			continue
		case sub == "*":
			spec = 1
		default:
			spec = 2
		}
		if spec == 0 || spec == 1 || strings.EqualFold(sub, "json") {
			json.offer(spec, q)
		}
		if spec == 0 || spec == 1 || strings.EqualFold(sub, "health+json") {
			health.offer(spec, q)
		}
	}
	return health.q > json.q
}

// weight is the quality of one media type we offer, in thousandths, and the
// specificity of the Accept range it came from (-1: none matched yet).
type weight struct{ q, spec int }

// offer applies a matching range: a more specific one overrides, one as
// specific as the current one may only raise the quality (a repeated range).
func (w *weight) offer(spec, q int) {
	switch {
	case spec > w.spec:
		w.spec, w.q = spec, q
	case spec == w.spec:
		w.q = max(w.q, q)
	}
}

// rangeWeight reads the weight among the parameters of a media range: 1000
// when absent; ok is false when it breaks the qvalue grammar,
// "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")].
func rangeWeight(params string) (q int, ok bool) {
	q = 1000
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		if !strings.EqualFold(k, "q") {
			continue
		}
		if q, ok = parseQValue(v); !ok {
			return 0, false
		}
	}
	return q, true
}

// parseQValue parses a qvalue into thousandths.
func parseQValue(s string) (int, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	whole := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return whole, true
	}
	if s[1] != '.' {
		return 0, false
	}
	frac := 0
	for i := 2; i < 5; i++ {
		frac *= 10
		if i < len(s) {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			frac += int(c - '0')
		}
	}
	if whole == 1000 && frac != 0 {
		return 0, false
	}
	return whole + frac, true
}

// Bounds on a probe's query: probes need a few short parameters, and a
// query past these bounds is a 400 before any work is spent on it.
const (
	maxQueryLen = 4096 // bytes of the raw query
	maxExcludes = 64   // exclude parameters
)

// probeQuery is the parsed query of a probe.
type probeQuery struct {
	verbose bool
	exclude []string
}

// parseQuery reads the parameters probes understand (verbose, exclude) and
// ignores the others. It returns a reason for a 400 when a value is bad or
// the query is past its bounds (maxQueryLen, maxExcludes). It does not
// allocate for an empty query or one with only "verbose".
func parseQuery(raw string) (probeQuery, string) {
	var q probeQuery
	if len(raw) > maxQueryLen {
		return q, "query too long: " + strconv.Itoa(len(raw)) + " bytes, at most " + strconv.Itoa(maxQueryLen)
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		key, ok := unescape(key)
		if !ok {
			continue // not a parameter probes know: ignored like any other
		}
		switch key {
		case "verbose":
			v, ok := unescape(value)
			switch {
			case !ok:
				return q, "verbose: malformed value"
			case v == "" || v == "1" || v == "true":
				q.verbose = true
			case v == "0" || v == "false":
				q.verbose = false
			default:
				return q, "verbose: want no value, true or false, got " + quote(v)
			}
		case "exclude":
			v, ok := unescape(value)
			switch {
			case !ok:
				return q, "exclude: malformed value"
			case v == "":
				return q, "exclude: empty check name"
			case len(q.exclude) == maxExcludes:
				return q, "exclude: more than " + strconv.Itoa(maxExcludes) + " names"
			}
			q.exclude = append(q.exclude, v)
		}
	}
	return q, ""
}

func unescape(s string) (string, bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	v, err := url.QueryUnescape(s)
	return v, err == nil
}

// quote quotes s for an error message, cut to a readable length. Control
// characters, invalid UTF-8 and any other unprintable rune come out as Go
// escapes, so the reason is safe for a terminal.
func quote(s string) string {
	if len(s) > 64 {
		n := 64
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		return strconv.Quote(s[:n]) + "..."
	}
	return strconv.Quote(s)
}
