package chihealth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
)

// FuzzMatchesCore: any probe request gets from the chi router the same status,
// headers and body as from core's Handler (conformance.FuzzMatchesCore).
func FuzzMatchesCore(f *testing.F) {
	conformance.FuzzMatchesCore(f, func(_ *testing.T, h *core.Registry, req *http.Request) *http.Response {
		r := chi.NewRouter()
		chihealth.Register(r, h)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec.Result()
	})
}
