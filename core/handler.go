package core

import (
	"net/http"
	"strings"
)

// Handler returns an http.Handler that serves the probe endpoints (see
// [Endpoints]) and /{endpoint}/{check}, relative to where it is mounted:
// mount it at "/" or strip a prefix with http.StripPrefix. Other paths are
// 404. Responses are described in the package documentation.
func (r *Registry) Handler() http.Handler { return handler{r} }

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
	}
)

func (h handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var resp ProbeResponse
	if kind, check, ok := matchPath(req.URL.Path); ok {
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
	hdr := w.Header()
	hdr["Content-Type"] = hdrValues[resp.ContentType]
	hdr["Cache-Control"] = hdrNoStore
	hdr["X-Content-Type-Options"] = hdrNosniff
	if resp.Allow != "" {
		hdr.Set("Allow", resp.Allow)
	}
	w.WriteHeader(resp.Code)
	if resp.Body != nil {
		_, _ = w.Write(resp.Body)
	}
}

var notFound = []byte("404 page not found\n")

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
