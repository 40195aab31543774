package fiber3health_test

import (
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/fiber3health"
)

// FuzzMatchesCore: any probe request gets from the fiber app, through
// fasthttp's own request parsing, the same status, headers and body as from
// core's Handler (conformance.FuzzMatchesCore).
func FuzzMatchesCore(f *testing.F) {
	conformance.FuzzMatchesCore(f, func(t *testing.T, h *core.Registry, req *http.Request) *http.Response {
		// fasthttp refuses a request head past ReadBufferSize (4 KiB by
		// default) before any handler runs: make room for queries past
		// core's own bound, so that its 400 is compared too.
		app := fiber.New(fiber.Config{ReadBufferSize: 1 << 16})
		fiber3health.Register(app, h)
		resp, err := app.Test(req, noTimeout)
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, req.RequestURI, err)
		}
		return resp
	})
}
