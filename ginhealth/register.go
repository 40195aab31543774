package ginhealth

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
)

// Register mounts the probe endpoints of h on r, a *gin.Engine or a
// *gin.RouterGroup: /livez, /readyz, /startupz, /healthz, /ready and, under
// each, /:check for a single check. They answer every method gin's Any
// registers (others than GET and HEAD with 405, as core does). On a group,
// Register tells h the group's path (see [core.Registry.MountedAt]) so that
// Drain leaves the probes out of the in-flight count there too.
//
// A nil h does not panic: its probes answer 500 "probekit: nil registry"
// (see [core.Registry.Probe]).
func Register(r gin.IRoutes, h *core.Registry) {
	if g, ok := r.(interface{ BasePath() string }); ok {
		h.MountedAt(g.BasePath())
	}
	for _, e := range core.Endpoints() {
		p := probe{h: h, kind: e.Kind}
		r.Any(e.Path, p.serve)
		r.Any(e.Path+"/", p.serve) // core serves it as e.Path
		r.Any(e.Path+"/:check", p.serve)
	}
}

// probe answers one probe endpoint through [core.Registry.Probe].
type probe struct {
	h    *core.Registry
	kind core.Kind
}

func (p probe) serve(c *gin.Context) {
	req := c.Request
	check := c.Param("check")
	if strings.Contains(check, "/") || (req.URL.RawPath != "" && !p.h.IsProbePath(req.URL.RawPath)) {
		// gin routes on the unescaped path (unless engine.UseRawPath), so
		// "/ready%7A" or "/readyz%2F" reach this route; net/http's ServeMux,
		// chi, echo, fiber and core's handler match the escaped path, where
		// neither is a probe. With UseRawPath, "a%2Fb" is one segment to
		// gin, but two to core's handler, where it is no probe at all.
		http.NotFound(c.Writer, req)
		return
	}
	resp := p.h.Probe(req.Context(), core.ProbeRequest{
		Method:   req.Method,
		Kind:     p.kind,
		Check:    check,
		RawQuery: req.URL.RawQuery,
		Accept:   req.Header.Get("Accept"),
	})
	resp.WriteHTTP(c.Writer)
	c.Writer.WriteHeaderNow() // HEAD responses have no body to write it
}
