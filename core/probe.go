package core

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// Accept is the Accept header; "application/health+json" selects the
	// IETF format.
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
	case acceptsHealthJSON(req.Accept):
		f = formatHealthJSON
	}

	if req.Check != "" {
		s := r.lookup(req.Check)
		if s == nil || s.check.Kinds&req.Kind == 0 {
			return r.plain(req, http.StatusNotFound, "unknown "+req.Kind.String()+" check "+quote(req.Check), "")
		}
		res := s.evaluate(ctx)
		assumeAlive(req.Kind, &res)
		rep := Report{Kind: req.Kind, Status: res.Status, Message: res.Message, Time: r.now(), Checks: []Result{res}}
		code, ct, body := r.render(&rep, f, req.Kind.String())
		return withBody(req, code, ct, body)
	}

	var exclude []string
	for _, name := range q.exclude {
		if s := r.lookup(name); s == nil || s.check.Kinds&req.Kind == 0 {
			return r.plain(req, http.StatusBadRequest, "exclude: "+quote(name)+" is not a "+req.Kind.String()+" check", "")
		}
		exclude = append(exclude, name)
	}

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
		e.code, e.contentType, e.body = r.render(&rep, f, req.Kind.String())
		if r.gen.Load() == gen { // a transition during evaluation re-renders next time
			slot.Store(e)
		}
		return withBody(req, e.code, e.contentType, e.body)
	}

	rep := r.evaluate(ctx, req.Kind, exclude)
	code, ct, body := r.render(&rep, f, req.Kind.String())
	return withBody(req, code, ct, body)
}

// cacheable reports whether every check a probe of kind would read is a
// background check, so that its answer depends on stored results only.
func (r *Registry) cacheable(kind Kind) bool {
	need := kind
	if kind != Liveness && r.State() == StateStarting {
		need |= Startup
	}
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

// render encodes rep in format f; name is the verbose form's last-line name.
func (r *Registry) render(rep *Report, f format, name string) (int, string, []byte) {
	code := r.StatusCode(rep.Status)
	m := meta{service: r.opts.Service, version: r.opts.Version, instance: r.opts.Instance}
	switch f {
	case formatHealthJSON:
		return code, contentTypeHealthJSON, appendHealthJSON(make([]byte, 0, 512), rep, m)
	case formatVerbose:
		return code, contentTypeText, appendVerbose(make([]byte, 0, 256), rep, name, code == http.StatusOK)
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

// acceptsHealthJSON reports whether an Accept header asks for
// application/health+json: media types compare case-insensitively, and one
// with q=0 is refused rather than asked for. It does not allocate.
func acceptsHealthJSON(accept string) bool {
	for accept != "" {
		var part string
		part, accept, _ = strings.Cut(accept, ",")
		media, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(media), contentTypeHealthJSON) {
			continue
		}
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}

// probeQuery is the parsed query of a probe.
type probeQuery struct {
	verbose bool
	exclude []string
}

// parseQuery reads the parameters probes understand (verbose, exclude) and
// ignores the others. It returns a reason for a 400 when a value is bad. It
// does not allocate for an empty query or one with only "verbose".
func parseQuery(raw string) (probeQuery, string) {
	var q probeQuery
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

// quote quotes s for an error message, cut to a readable length.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}
