package fiberhealth

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
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
func Register(r fiber.Router, h *core.Registry, handlers ...fiber.Handler) {
	switch r := r.(type) {
	case *fiber.Group:
		h.MountedAt(r.Prefix)
	case *fiber.App:
		h.MountedAt(r.MountPath())
	}
	handlers = slices.Clip(handlers)
	for _, e := range core.Endpoints() {
		// An optional parameter matches /readyz, /readyz/ (also with
		// Config.StrictRouting) and /readyz/{check}.
		r.All(e.Path+"/:check?", append(handlers, probeHandler(h, e.Kind))...)
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
	return func(c *fiber.Ctx) error {
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
		fc := c.Context()
		resp := h.Probe(c.UserContext(), core.ProbeRequest{
			Method:   c.Method(),
			Kind:     kind,
			Check:    check,
			RawQuery: utils.UnsafeString(fc.URI().QueryString()),
			Accept:   c.Get(fiber.HeaderAccept),
		})
		resp.Headers(func(k, v string) { setHeader(&fc.Response.Header, k, v) })
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
// app's Config it reads does not weigh on every probe's stack frame.
func unescapeCheck(c *fiber.Ctx, check string) (string, error) {
	if c.App().Config().UnescapePath {
		return check, nil
	}
	return url.PathUnescape(check)
}
