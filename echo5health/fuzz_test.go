package echo5health_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echo5health"
)

// FuzzMatchesCore: any probe request gets from the echo router the same status,
// headers and body as from core's Handler (conformance.FuzzMatchesCore).
func FuzzMatchesCore(f *testing.F) {
	conformance.FuzzMatchesCore(f, func(_ *testing.T, h *core.Registry, req *http.Request) *http.Response {
		r := echo.New()
		echo5health.Register(r, h)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec.Result()
	})
}
