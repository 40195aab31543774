package core

import (
	"net/http"
	"strings"
)

// Handler returns an http.Handler that serves the probe endpoints (see
// [Endpoints]) and /{endpoint}/{check} at the root: mount it at "/". Other
// paths are 404, among them paths that are probe paths only once an escaped
// slash ("/readyz%2F") is taken for a separator. Responses are described in the package documentation. It
// records the root as a mount point (see [Registry.MountedAt]); for a
// prefix, use HandlerAt.
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
	if kind, check, ok := matchPath(req.URL.Path); ok && !hasEscapedSlash(req.URL.RawPath) {
		resp = h.r.Probe(req.Context(), ProbeRequest{
			Method:   req.Method,
			Kind:     kind,
			Check:    check,
			RawQuery: req.URL.RawQuery,
			Accept:   req.Header.Get("Accept"),
		})
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

// hasEscapedSlash reports whether an escaped path holds "%2F": such a slash
// is data, not a separator (RFC 3986; net/http's ServeMux and the chi, echo
// and fiber routers match on the escaped path), so "/readyz%2F" or
// "/readyz%2Fdb" is no probe path, though its unescaped form would be.
func hasEscapedSlash(raw string) bool {
	for {
		i := strings.IndexByte(raw, '%')
		if i < 0 || i+2 >= len(raw) {
			return false
		}
		if raw[i+1] == '2' && (raw[i+2] == 'F' || raw[i+2] == 'f') {
			return true
		}
		raw = raw[i+1:]
	}
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
		case rest[0] == '/' && !strings.Contains(rest[1:], "/"):
			return e.Kind, rest[1:], true
		}
	}
	return 0, "", false
}

var endpoints = Endpoints()
