package core

import (
	"net/http"
	"net/url"
	"strings"
)

// Handler returns an http.Handler that serves the probe endpoints (see
// [Endpoints]) and /{endpoint}/{check} at the root: mount it at "/". Other
// paths are 404, among them those whose endpoint is spelled with escapes
// ("/ready%7A", "/readyz%2F"), since routers match the escaped path; an
// escaped check name ("/readyz/%64b") is unescaped. Responses are described
// in the package documentation. It
// records the root as a mount point (see [Registry.MountedAt]); for a
// prefix, use HandlerAt.
//
// The body is written from a buffer that later probes reuse once ServeHTTP
// has returned: a ResponseWriter (a middleware's) must copy what Write
// gives it, as io.Writer requires, not keep the slice to write or log
// later.
func (r *Registry) Handler() http.Handler {
	r.MountedAt("")
	return handler{r}
}

// HandlerAt is Handler for the probes mounted under prefix (such as
// "/internal"): it strips the prefix itself and records it as a mount point,
// so that drain middlewares leave the probes there out of the in-flight
// count. Mount it at prefix+"/":
//
//	mux.Handle("/internal/", h.HandlerAt("/internal"))
//
// The prefix is normalised as MountedAt does: "internal" and "/internal/"
// mean "/internal" (a prefix without its slash would otherwise match no
// request path, and every probe would be a 404).
func (r *Registry) HandlerAt(prefix string) http.Handler {
	prefix = mountPrefix(prefix)
	r.MountedAt(prefix)
	if prefix == "" {
		return handler{r}
	}
	return http.StripPrefix(prefix, handler{r})
}

type handler struct{ r *Registry }

// Shared header values: assigning them avoids the []string allocation of
// Header.Set on every probe. net/http never modifies them.
var (
	hdrNoStore = []string{"no-store"}
	hdrNosniff = []string{"nosniff"}
	hdrValues  = map[string][]string{
		contentTypeJSON:       {contentTypeJSON},
		contentTypeHealthJSON: {contentTypeHealthJSON},
		contentTypeText:       {contentTypeText},
		allowGetHead:          {allowGetHead},
	}
)

func (h handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var resp ProbeResponse
	var lend lentBody // the body, written below and then no longer needed
	defer lend.release()
	if kind, check, ok := matchRequest(req.URL); ok {
		resp = h.r.probe(req.Context(), ProbeRequest{
			Method:   req.Method,
			Kind:     kind,
			Check:    check,
			RawQuery: req.URL.RawQuery,
			Accept:   req.Header.Get("Accept"),
		}, &lend)
	} else {
		resp = withBody(ProbeRequest{Method: req.Method}, http.StatusNotFound, contentTypeText, notFound)
	}
	resp.WriteHTTP(w)
}

// WriteHTTP writes the response to a net/http ResponseWriter: every header
// of [ProbeResponse.Headers], the status code and the body. Header values
// are assigned from shared slices rather than with Header.Set, so it does
// not allocate. The net/http based adapters (chi, gin, echo) use it.
func (p *ProbeResponse) WriteHTTP(w http.ResponseWriter) {
	hdr := w.Header()
	hdr["Content-Type"] = sharedValue(p.ContentType)
	hdr["Cache-Control"] = hdrNoStore
	hdr["X-Content-Type-Options"] = hdrNosniff
	if p.Allow != "" {
		hdr["Allow"] = sharedValue(p.Allow)
	}
	w.WriteHeader(p.Code)
	if p.Body != nil {
		_, _ = w.Write(p.Body)
	}
}

func sharedValue(v string) []string {
	if s, ok := hdrValues[v]; ok {
		return s
	}
	return []string{v}
}

var notFound = []byte("404 page not found\n")

// RoutedPath is the path routers match probes on: the escaped path when the
// request escaped anything (u.RawPath), else u.Path. net/http's ServeMux,
// chi, echo and fiber route on it, so "/ready%7A" and "/readyz%2F" are no
// probe paths there, though their unescaped forms are. Core's handler and
// every drain middleware match probes on it, so that they agree with the
// router about which requests are probes; pass it to [Registry.IsProbePath].
// It does not allocate.
func RoutedPath(u *url.URL) string {
	if u.RawPath != "" {
		return u.RawPath
	}
	return u.Path
}

// escapesSlash reports whether an escaped path segment holds an escaped
// slash, which makes it two segments once unescaped: "a%2Fb" is no check
// name. A check name can hold no '%', so this only ever rejects.
func escapesSlash(seg string) bool {
	return strings.Contains(seg, "%2F") || strings.Contains(seg, "%2f")
}

// matchRequest maps a request URL to its probe kind and unescaped check
// name, matching the endpoint on the routed path: an endpoint spelled with
// escapes is no endpoint, while a check name may be escaped ("%64b" is
// "db"), as a router's path parameter would be; an escaped slash in it makes
// one segment too many, so no probe path either.
func matchRequest(u *url.URL) (Kind, string, bool) {
	kind, check, ok := matchPath(RoutedPath(u))
	if !ok || u.RawPath == "" || check == "" {
		return kind, check, ok
	}
	check, err := url.PathUnescape(check)
	if err != nil || strings.Contains(check, "/") {
		return 0, "", false
	}
	return kind, check, true
}

// matchPath maps a path to its probe kind and the optional check name
// (already unescaped by net/url).
func matchPath(path string) (Kind, string, bool) {
	// Fast reject, since the drain middlewares ask this of every request:
	// each endpoint is "/" + one of l, r, s, h and at least 6 bytes long.
	if len(path) < 6 || path[0] != '/' {
		return 0, "", false
	}
	switch path[1] {
	case 'l', 'r', 's', 'h':
	default:
		return 0, "", false
	}
	for _, e := range endpoints {
		if e.Path[1] != path[1] {
			continue
		}
		rest, ok := strings.CutPrefix(path, e.Path)
		if !ok {
			continue
		}
		switch {
		case rest == "" || rest == "/":
			return e.Kind, "", true
		case rest[0] == '/' && !strings.Contains(rest[1:], "/") && !escapesSlash(rest[1:]):
			return e.Kind, rest[1:], true
		}
	}
	return 0, "", false
}

var endpoints = Endpoints()
