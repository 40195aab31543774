package chihealth

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/probekit/probekit/core"
)

// Options configures Register. The zero value mounts the probes on the
// router it is given, which is the root router or a group of it.
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
// Only the first Options is used. A nil h does not panic: its probes answer
// 500 "probekit: nil registry" (see [core.Registry.Probe]).
func Register(r chi.Router, h *core.Registry, opts ...Options) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if p := strings.Trim(o.Prefix, "/"); p != "" {
		h.MountedAt("/" + p)
	}
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
	resp := p.h.Probe(req.Context(), core.ProbeRequest{
		Method:   req.Method,
		Kind:     p.kind,
		Check:    check,
		RawQuery: req.URL.RawQuery,
		Accept:   req.Header.Get("Accept"),
	})
	resp.WriteHTTP(w)
}
