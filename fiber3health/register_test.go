package fiber3health_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/fiber3health"
)

// timestamp is the one part of a report that differs between two
// evaluations of the same results.
var timestamp = regexp.MustCompile(`"timestamp":"[^"]*"`)

// fasthttpOnly are headers fasthttp writes itself where net/http's would be
// written by net/http's server rather than the handler: they are not part
// of a probe answer.
var fasthttpOnly = []string{"Date", "Content-Length"}

// TestRegisterMatchesCore compares every probe answer, at the root and under
// a group prefix, with core's net/http handler: status, every header the
// handler sets, body.
func TestRegisterMatchesCore(t *testing.T) {
	t.Parallel()
	regs := map[bool]*core.Registry{
		false: conformance.MatchRegistry(t, core.Options{}, false),
		true:  conformance.MatchRegistry(t, core.Options{}, true),
	}
	configs := map[string]fiber.Config{
		"default":      {},
		"unescapepath": {UnescapePath: true},
		"strict":       {CaseSensitive: true, StrictRouting: true},
	}
	for cname, cfg := range configs {
		for _, prefix := range []string{"", "/internal"} {
			type pair struct {
				app *fiber.App
				ref http.Handler
			}
			servers := map[bool]pair{}
			for failing, h := range regs {
				app := fiber.New(cfg)
				if prefix == "" {
					fiber3health.Register(app, h)
				} else {
					fiber3health.Register(app.Group(prefix), h)
				}
				ref := h.Handler()
				if prefix != "" {
					ref = http.StripPrefix(prefix, ref)
				}
				servers[failing] = pair{app, ref}
			}
			for _, tc := range conformance.MatchRequests() {
				t.Run(cname+" "+tc.Method+" "+prefix+tc.Target, func(t *testing.T) {
					srv := servers[tc.Failing]
					code, hdr, body := fiberServe(t, srv.app, tc.Method, prefix+tc.Target, tc.Accept)
					want := serve(srv.ref, tc.Method, prefix+tc.Target, tc.Accept)
					if code != tc.Code || want.Code != tc.Code {
						t.Fatalf("code: fiber %d, core %d, want %d", code, want.Code, tc.Code)
					}
					for k := range hdr {
						if !slices.Contains(fasthttpOnly, k) {
							continue
						}
						delete(hdr, k)
					}
					if !equalHeader(hdr, want.Header()) {
						t.Errorf("headers differ:\nfiber %v\ncore  %v", hdr, want.Header())
					}
					g := timestamp.ReplaceAllString(body, `"timestamp":"T"`)
					w := timestamp.ReplaceAllString(want.Body.String(), `"timestamp":"T"`)
					if g != w {
						t.Errorf("bodies differ:\nfiber %q\ncore  %q", g, w)
					}
				})
			}
		}
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// fiberServe runs one request through app in memory (fiber's app.Test).
func fiberServe(t *testing.T, app *fiber.App, method, target, accept string) (int, http.Header, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := app.Test(req, noTimeout)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func serve(h http.Handler, method, target, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestRegisterNotProbes checks what the probe routes leave alone: paths that
// are no probe are fiber's 404, and an escaped slash in a check name does
// not make a check path (core's unescaped path has a segment too many).
func TestRegisterNotProbes(t *testing.T) {
	t.Parallel()
	h := conformance.MatchRegistry(t, core.Options{}, false)
	for _, cfg := range []fiber.Config{{}, {UnescapePath: true}} {
		app := fiber.New(cfg)
		fiber3health.Register(app.Group("/internal"), h)
		for _, target := range []string{
			"/readyz",
			"/internal/readyz/db/extra",
			"/internal/readyz/a%2Fb",
			"/internal/livezz",
		} {
			if code, _, _ := fiberServe(t, app, "GET", target, ""); code != http.StatusNotFound {
				t.Errorf("UnescapePath=%v: GET %s = %d, want 404", cfg.UnescapePath, target, code)
			}
		}
	}
}

// TestRegisterMountedAt checks that Register tells the registry where the
// probes are, so that drain middleware recognises them.
func TestRegisterMountedAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		register func(app *fiber.App, h *core.Registry)
		probe    []string
		not      []string
	}{
		{"root", func(app *fiber.App, h *core.Registry) { fiber3health.Register(app, h) },
			[]string{"/readyz", "/livez/db"}, []string{"/internal/readyz"}},
		{"group", func(app *fiber.App, h *core.Registry) { fiber3health.Register(app.Group("/internal"), h) },
			[]string{"/internal/readyz", "/internal/startupz/boot"}, []string{"/readyz", "/api/readyz", "/internal/app"}},
		{"nested group", func(app *fiber.App, h *core.Registry) { fiber3health.Register(app.Group("/a").Group("/b"), h) },
			[]string{"/a/b/healthz"}, []string{"/healthz", "/a/healthz", "/b/healthz"}},
		{"route", func(app *fiber.App, h *core.Registry) {
			app.Route("/ops", func(r fiber.Router) { fiber3health.Register(r, h) })
		}, []string{"/ops/ready"}, []string{"/ready", "/app/ready"}},
		{"mounted app", func(app *fiber.App, h *core.Registry) {
			sub := fiber.New()
			app.Use("/sub", sub) // fiber v3 mounts an app with Use
			fiber3health.Register(sub, h)
		}, []string{"/sub/livez"}, []string{"/livez", "/other/livez"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := core.New(core.Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			tc.register(fiber.New(), h)
			for _, p := range tc.probe {
				if !h.IsProbePath(p) {
					t.Errorf("IsProbePath(%q) = false, want true", p)
				}
			}
			for _, p := range tc.not {
				if h.IsProbePath(p) {
					t.Errorf("IsProbePath(%q) = true, want false", p)
				}
			}
		})
	}
}

// TestRegisterMiddleware checks that the handlers given to Register run
// before the probes, and only there.
func TestRegisterMiddleware(t *testing.T) {
	t.Parallel()
	h := conformance.MatchRegistry(t, core.Options{}, false)
	app := fiber.New()
	deny := func(c fiber.Ctx) error {
		if c.Get("X-Allowed") == "" {
			return fiber.ErrForbidden
		}
		return c.Next()
	}
	fiber3health.Register(app, h, deny)
	app.Get("/app", func(c fiber.Ctx) error { return c.SendStatus(http.StatusNoContent) })
	if code, _, _ := fiberServe(t, app, "GET", "/readyz", ""); code != http.StatusForbidden {
		t.Errorf("GET /readyz without X-Allowed = %d, want 403", code)
	}
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	req.Header.Set("X-Allowed", "1")
	resp, err := app.Test(req, noTimeout)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz with X-Allowed = %d, want 200", resp.StatusCode)
	}
	if code, _, _ := fiberServe(t, app, "GET", "/app", ""); code != http.StatusNoContent {
		t.Errorf("GET /app = %d, want 204", code)
	}
}
