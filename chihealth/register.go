package chihealth

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/probekit/probekit/core"
)

// Options configures Register. The zero value mounts the probes on the
// router it is given, which is right for the root router or a group of it
// (r.Group, r.With) but NOT for a sub-router (r.Route, r.Mount): name its
// mount path in Prefix.
type Options struct {
	// Prefix is the path at which the router given to Register is mounted,
	// when it is a sub-router made by r.Route or r.Mount (such as
	// "/internal"); empty for the root router. chi routers do not know their
	// own mount path, and Drain needs the probes' full paths to leave them
	// out of the in-flight count. A missing leading slash is added and a
	// trailing one removed.
	Prefix string
}

// Register mounts the probe endpoints of h on r: /livez, /readyz,
// /startupz, /healthz, /ready and, under each, /{check} for a single check.
// They answer every method (others than GET and HEAD with 405, as core
// does), so register them before any catch-all route of your own.
//
// Sub-routers need Options.Prefix. A chi router does not know the path it
// is mounted at, so for
//
//	r.Route("/internal", func(r chi.Router) { chihealth.Register(r, h) }) // WRONG: no Prefix
//
// Drain cannot tell that /internal/readyz is a probe and counts it as an
// in-flight request: a probe that arrives during shutdown then holds the
// drain up, and the drain timeout may be reported as abandoned requests.
// Write instead
//
//	r.Route("/internal", func(r chi.Router) {
//		chihealth.Register(r, h, chihealth.Options{Prefix: "/internal"})
//	})
//
// Without the option, the probe handlers learn the prefix from chi's route
// patterns when they first answer under it (when those patterns have no
// parameters, such as "/{tenant}/internal"): only the probes answered before
// that are counted. Do not rely on it: name the prefix.
//
// Only the first Options is used. A nil h does not panic: its probes answer
// 500 "probekit: nil registry" (see [core.Registry.Probe]).
func Register(r chi.Router, h *core.Registry, opts ...Options) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	prefix := ""
	if p := strings.Trim(o.Prefix, "/"); p != "" {
		prefix = "/" + p
	}
	h.MountedAt(prefix) // the root too: once any mount is recorded, only those count
	for _, e := range core.Endpoints() {
		r.Handle(e.Path, probe{h: h, kind: e.Kind})
		r.Handle(e.Path+"/", probe{h: h, kind: e.Kind}) // core serves it as e.Path
		r.Handle(e.Path+"/{check}", probe{h: h, kind: e.Kind, perCheck: true})
	}
}

// probe answers one probe endpoint through [core.Registry.Probe].
type probe struct {
	h        *core.Registry
	kind     core.Kind
	perCheck bool // the route has a {check} parameter
}

func (p probe) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var check string
	if p.perCheck {
		check = chi.URLParam(req, "check")
		if req.URL.RawPath != "" {
			// chi routes on the escaped path when there is one; core's
			// handler sees the unescaped path, where "a%2Fb" is two segments
			// and so no probe at all.
			c, err := url.PathUnescape(check)
			if err != nil || strings.Contains(c, "/") {
				http.NotFound(w, req)
				return
			}
			check = c
		}
	}
	if !p.h.IsProbePath(req.URL.Path) {
		learnPrefix(p.h, req)
	}
	resp := p.h.Probe(req.Context(), core.ProbeRequest{
		Method:   req.Method,
		Kind:     p.kind,
		Check:    check,
		RawQuery: req.URL.RawQuery,
		Accept:   req.Header.Get("Accept"),
	})
	resp.WriteHTTP(w)
}

// learnPrefix tells h the path its probes are mounted at when Register was
// given a sub-router without Options.Prefix, which it learns from the
// patterns chi routed req by: "/internal/*" then "/readyz/{check}" is the
// prefix "/internal". It gives up when a mount pattern has a parameter (the
// prefix would differ per request). Only probes that are not yet known
// probe paths come here, so the one allocation, MountedAt's, happens once.
func learnPrefix(h *core.Registry, req *http.Request) {
	rctx := chi.RouteContext(req.Context())
	if h == nil || rctx == nil || len(rctx.RoutePatterns) < 2 {
		return
	}
	mounts := rctx.RoutePatterns[:len(rctx.RoutePatterns)-1]
	n := 0
	for _, m := range mounts {
		m = strings.TrimSuffix(m, "/*")
		if strings.ContainsAny(m, "{*") {
			return
		}
		n += len(m)
	}
	var b strings.Builder
	b.Grow(n)
	for _, m := range mounts {
		b.WriteString(strings.TrimSuffix(m, "/*"))
	}
	prefix := b.String()
	// Mount what chi routed is a probe path below prefix only: anything
	// else (an unexpected pattern form) is left alone.
	if rest, ok := strings.CutPrefix(req.URL.Path, prefix); ok && prefix != "" && core.IsEndpointPath(rest) {
		h.MountedAt(prefix)
	}
}
