package echo5health

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
)

// Router is what Register mounts the probe routes on: an *echo.Echo or an
// *echo.Group.
type Router interface {
	Any(path string, handler echo.HandlerFunc, middleware ...echo.MiddlewareFunc) echo.RouteInfo
}

// Register mounts the probe endpoints of h on r: /livez, /readyz, /startupz,
// the aliases /healthz and /ready, and /{endpoint}/:check for each, relative
// to r's prefix when r is a group. The optional middleware runs before the
// probe handlers only (an IP allow-list, say).
//
// The routes are echo's Any routes, which match every method, so that a
// method other than GET or HEAD gets core's 405 with its Allow header rather
// than echo's. Responses are core's, byte for byte: status, headers and body
// come from [core.Registry.Probe]. When r has a prefix, Register tells h with
// [core.Registry.MountedAt], so that Drain leaves the probes out of the
// in-flight count there too.
func Register(r Router, h *core.Registry, m ...echo.MiddlewareFunc) {
	for i, e := range core.Endpoints() {
		probe := probeHandler(h, e.Kind)
		route := r.Any(e.Path, probe, m...)
		r.Any(e.Path+"/", probe, m...) // core answers it as the whole kind
		r.Any(e.Path+"/:check", probe, m...)
		if i == 0 {
			// A group's prefix is not exported; the route's full path
			// holds it.
			h.MountedAt(strings.TrimSuffix(route.Path, e.Path))
		}
	}
}

// probeHandler answers the probes of one kind. It keeps nothing of the echo
// context after it returns.
func probeHandler(h *core.Registry, kind core.Kind) echo.HandlerFunc {
	return func(c *echo.Context) error {
		req := c.Request()
		check := c.Param("check")
		if check != "" && req.URL.RawPath != "" {
			// The request was escaped otherwise than Path's default
			// encoding. Depending on its RouterConfig, echo routed on the
			// raw path or the decoded one, and unescaped the parameter or
			// not: the last segment of the raw path is the check's name
			// in every case, escaped.
			raw := req.URL.RawPath[strings.LastIndexByte(req.URL.RawPath, '/')+1:]
			var err error
			if check, err = url.PathUnescape(raw); err != nil {
				return echo.ErrBadRequest
			}
		}
		if strings.Contains(check, "/") {
			// "/readyz/a%2Fb" is not a probe path for core's handler
			// either (its unescaped path has one segment too many).
			return echo.ErrNotFound
		}
		resp := h.Probe(req.Context(), core.ProbeRequest{
			Method:   req.Method,
			Kind:     kind,
			Check:    check,
			RawQuery: req.URL.RawQuery,
			Accept:   accept(req.Header),
		})
		resp.WriteHTTP(c.Response())
		return nil
	}
}

// accept is the request's Accept header, as Header.Get("Accept") returns it
// but without canonicalising a name that already is canonical: the server
// stores the request's header names canonicalised.
func accept(h http.Header) string {
	if v := h[echo.HeaderAccept]; len(v) > 0 {
		return v[0]
	}
	return ""
}
