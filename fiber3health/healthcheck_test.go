package fiber3health_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/healthcheck"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/fiber3health"
)

// TestBesideFiberHealthcheck checks what the package doc says of fiber's own
// healthcheck middleware: beside Register, on other paths, each answers its
// own; on the same paths, the route registered first answers, whichever it
// is, and a method fiber's middleware passes on with c.Next() (anything but
// GET) reaches the other.
func TestBesideFiberHealthcheck(t *testing.T) {
	t.Parallel()
	h := conformance.MatchRegistry(t, core.Options{}, false)
	down := healthcheck.New(healthcheck.Config{Probe: func(fiber.Ctx) bool { return false }})
	tests := []struct {
		name   string
		mount  func(app *fiber.App)
		method string
		target string
		code   int
		ours   bool // the answer is core's (JSON), not fiber's bare status text
	}{
		{"fiber's under /fiber: ours", func(app *fiber.App) {
			fiber3health.Register(app, h)
			app.Get("/fiber"+healthcheck.ReadinessEndpoint, down)
		}, http.MethodGet, "/readyz", http.StatusOK, true},
		{"fiber's under /fiber: fiber's", func(app *fiber.App) {
			fiber3health.Register(app, h)
			app.Get("/fiber"+healthcheck.ReadinessEndpoint, down)
		}, http.MethodGet, "/fiber/readyz", http.StatusServiceUnavailable, false},
		{"ours under /internal, fiber's at the root", func(app *fiber.App) {
			app.Get(healthcheck.LivenessEndpoint, down)
			fiber3health.Register(app.Group("/internal"), h)
		}, http.MethodGet, "/internal/livez", http.StatusOK, true},
		{"same path, Register first", func(app *fiber.App) {
			fiber3health.Register(app, h)
			app.Get(healthcheck.StartupEndpoint, down)
		}, http.MethodGet, "/startupz", http.StatusOK, true},
		{"same path, fiber's first", func(app *fiber.App) {
			app.Get(healthcheck.StartupEndpoint, down)
			fiber3health.Register(app, h)
		}, http.MethodGet, "/startupz", http.StatusServiceUnavailable, false},
		{"same path, fiber's first, HEAD passed on", func(app *fiber.App) {
			app.Get(healthcheck.StartupEndpoint, down)
			fiber3health.Register(app, h)
		}, http.MethodHead, "/startupz", http.StatusOK, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := fiber.New()
			tc.mount(app)
			code, hdr, _ := fiberServe(t, app, tc.method, tc.target, "")
			if code != tc.code {
				t.Errorf("%s %s = %d, want %d", tc.method, tc.target, code, tc.code)
			}
			if ours := strings.HasPrefix(hdr.Get("Content-Type"), "application/json"); ours != tc.ours {
				t.Errorf("%s %s: Content-Type %q, answered by Register: %v, want %v", tc.method, tc.target, hdr.Get("Content-Type"), ours, tc.ours)
			}
		})
	}
}
