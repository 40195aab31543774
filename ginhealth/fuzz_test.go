package ginhealth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/ginhealth"
)

// FuzzMatchesCore: any probe request gets from the gin engine the same status,
// headers and body as from core's Handler (conformance.FuzzMatchesCore).
func FuzzMatchesCore(f *testing.F) {
	conformance.FuzzMatchesCore(f, func(_ *testing.T, h *core.Registry, req *http.Request) *http.Response {
		r := gin.New()
		ginhealth.Register(r, h)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec.Result()
	})
}
