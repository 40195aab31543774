package core

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// adminRoute is one method on one path pattern of the admin handler.
// Patterns are slash-separated segments; "{name}" matches one non-empty
// segment, passed to serve in order. Resources add their routes in a file
// of their own (admin_features.go: featureRoutes).
type adminRoute struct {
	method  string
	pattern string
	serve   func(w http.ResponseWriter, req *http.Request, params []string, log *slog.Logger)
}

// adminRouter matches a request's path and method against its routes.
type adminRouter struct{ routes []adminRoute }

func newAdminRouter(groups ...[]adminRoute) adminRouter {
	var rt adminRouter
	for _, g := range groups {
		rt.routes = append(rt.routes, g...)
	}
	return rt
}

// serve calls the route of req, or answers 404 (no pattern matches the
// path) or 405 with Allow (patterns match, methods do not).
func (rt adminRouter) serve(w http.ResponseWriter, req *http.Request, log *slog.Logger) {
	path := req.URL.Path
	if req.URL.RawPath != "" {
		path = req.URL.RawPath // keep %2F inside one segment; segments are unescaped below
	}
	var allow []string
	for _, route := range rt.routes {
		params, ok := matchAdminPath(route.pattern, path)
		if !ok {
			continue
		}
		if route.method == req.Method || (route.method == http.MethodGet && req.Method == http.MethodHead) {
			route.serve(w, req, params, log)
			return
		}
		if !slices.Contains(allow, route.method) {
			allow = append(allow, route.method)
		}
	}
	if allow == nil {
		log.Warn("probekit admin: refused: no such resource", "path", oneLine(cut(req.URL.Path, 128)), "remote", oneLine(req.RemoteAddr))
		writeAdminError(w, http.StatusNotFound, "no such admin resource: "+quote(req.URL.Path))
		return
	}
	log.Warn("probekit admin: refused: method not allowed", "method", oneLine(cut(req.Method, 16)),
		"path", oneLine(cut(req.URL.Path, 128)), "remote", oneLine(req.RemoteAddr))
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeAdminError(w, http.StatusMethodNotAllowed, "method "+quote(req.Method)+" not allowed: use "+strings.Join(allow, ", "))
}

// matchAdminPath matches path (escaped) against pattern and returns the
// unescaped values of its {params}. A trailing slash is ignored.
func matchAdminPath(pattern, path string) ([]string, bool) {
	path = strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/")
	pattern = strings.TrimPrefix(pattern, "/")
	var params []string
	for pattern != "" {
		var want, got string
		want, pattern, _ = strings.Cut(pattern, "/")
		if path == "" && want != "" {
			return nil, false
		}
		got, path, _ = strings.Cut(path, "/")
		if strings.HasPrefix(want, "{") {
			v, err := url.PathUnescape(got)
			if err != nil || v == "" {
				return nil, false
			}
			params = append(params, v)
			continue
		}
		if got != want {
			return nil, false
		}
	}
	return params, path == ""
}
