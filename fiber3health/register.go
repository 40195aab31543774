package fiber3health

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/utils/v2"
	"github.com/probekit/probekit/core"
)

// Register mounts the probe endpoints of h on r, a *fiber.App or a group
// such as app.Group("/internal"): /livez, /readyz, /startupz, the aliases
// /healthz and /ready, and /{endpoint}/:check for each. The optional
// handlers run before the probe handlers only, as fiber middleware (an IP
// allow-list, say); they must call c.Next().
//
// The routes accept every method of the app's Config.RequestMethods, so that
// a method other than GET or HEAD gets core's 405 with its Allow header.
// Status, headers and body come from [core.Registry.Probe], as they do in
// core's net/http handler. When r is a group, or an app already mounted
// under a prefix, Register tells h with [core.Registry.MountedAt], so that
// Drain leaves the probes out of the in-flight count there too; for an app
// mounted after Register, call h.MountedAt with its mount path yourself.
//
// Fiber routes case-insensitively and ignores a trailing slash by default
// (Config.CaseSensitive, Config.StrictRouting): /READYZ is then a probe too,
// but it is not one for Drain, which counts it like any other request.
//
// Register replaces fiber's own middleware/healthcheck, which users mount on
// the same paths (healthcheck.LivenessEndpoint and the others): mount one or
// the other on a path, not both. Fiber runs the first route that matches,
// and fiber's middleware passes every method but GET on with c.Next(), so
// the two would split a path's answers between them.
func Register(r fiber.Router, h *core.Registry, handlers ...fiber.Handler) {
	switch r := r.(type) {
	case *fiber.Group:
		h.MountedAt(r.Prefix)
	case *fiber.App:
		h.MountedAt(r.MountPath())
	}
	for _, e := range core.Endpoints() {
		probe := probeHandler(h, e.Kind)
		// An optional parameter matches /readyz, /readyz/ (also with
		// Config.StrictRouting) and /readyz/{check}.
		path := e.Path + "/:check?"
		if len(handlers) == 0 {
			r.All(path, probe)
			continue
		}
		rest := make([]any, 0, len(handlers))
		for _, m := range handlers[1:] {
			rest = append(rest, m)
		}
		r.All(path, handlers[0], append(rest, probe)...)
	}
}

// probeHandler answers the probes of one kind.
//
// The strings it passes to Probe point into fasthttp's request buffers, which
// are reused once the handler returns. That is safe because Probe is
// synchronous and keeps no part of its request: the answer for an unknown
// check quotes the name into a new string. Not copying them keeps a probe
// free of allocations.
func probeHandler(h *core.Registry, kind core.Kind) fiber.Handler {
	return func(c fiber.Ctx) error {
		check := c.Params("check")
		if strings.IndexByte(check, '%') >= 0 {
			var err error
			if check, err = unescapeCheck(c, check); err != nil {
				return fiber.ErrBadRequest
			}
		}
		if strings.Contains(check, "/") {
			// "/readyz/a%2Fb" is not a probe path for core's handler
			// either (its unescaped path has one segment too many).
			return fiber.ErrNotFound
		}
		fc := c.RequestCtx()
		resp := h.Probe(c.Context(), core.ProbeRequest{
			Method:   c.Method(),
			Kind:     kind,
			Check:    check,
			RawQuery: utils.UnsafeString(fc.URI().QueryString()),
			Accept:   c.Get(fiber.HeaderAccept),
		})
		hdr := &fc.Response.Header
		resp.Headers(func(k, v string) { setHeader(hdr, k, v) })
		fc.SetStatusCode(resp.Code)
		if resp.Body != nil {
			// A copy: the body is the registry's pre-rendered answer, shared
			// by every probe, and fiber middleware may edit Body in place.
			fc.Response.SetBody(resp.Body)
		}
		return nil
	}
}

// unescapeCheck unescapes the check name of a probe path, which fiber
// leaves escaped when it routes on the raw path (unless
// Config.UnescapePath). A function of its own, so that the copy of the
// app's Config it reads (App.Config returns the struct by value, 576
// bytes on amd64) does not weigh on every probe's stack frame.
func unescapeCheck(c fiber.Ctx, check string) (string, error) {
	if c.App().Config().UnescapePath {
		return check, nil
	}
	return url.PathUnescape(check)
}
