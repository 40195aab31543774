package ginhealth_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/ginhealth"
)

func newRegistry(t *testing.T) *core.Registry {
	t.Helper()
	h, err := core.New(core.Options{Service: "t", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRegisterNestedGroups(t *testing.T) {
	t.Parallel()
	h := newRegistry(t)
	r := gin.New()
	ginhealth.Register(r.Group("/internal").Group("/health"), h)
	if !h.IsProbePath("/internal/health/readyz/db") {
		t.Error("/internal/health/readyz/db is not a probe path for Drain")
	}
	if h.IsProbePath("/internal/readyz") {
		t.Error("/internal/readyz is a probe path, but nothing serves it")
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/internal/health/readyz/db", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("GET /internal/health/readyz/db = %d, want 200", rec.Code)
	}
}

// With UseRawPath, gin routes "/readyz/a%2Fb" to the per-check route; core's
// handler sees two path segments there, which is no probe.
func TestRawPathEscapedSlash(t *testing.T) {
	t.Parallel()
	h := newRegistry(t)
	r := gin.New()
	r.UseRawPath = true
	ginhealth.Register(r, h)
	for _, target := range []string{"/readyz/a%2Fb", "/readyz/no%20such"} {
		got, want := httptest.NewRecorder(), httptest.NewRecorder()
		r.ServeHTTP(got, httptest.NewRequest(http.MethodGet, target, nil))
		h.Handler().ServeHTTP(want, httptest.NewRequest(http.MethodGet, target, nil))
		if got.Code != want.Code || got.Body.String() != want.Body.String() {
			t.Errorf("GET %s = %d %q, core answers %d %q", target, got.Code, got.Body, want.Code, want.Body)
		}
	}
}

// TestRunRejectsNil checks that a nil engine or registry is an error at
// once, from Run and from Serve (conformance.RejectsNil).
func TestRunRejectsNil(t *testing.T) {
	t.Parallel()
	conformance.RejectsNil(t, runner, []conformance.NilCase[*gin.Engine]{
		{Name: "nil engine", F: nil, H: newRegistry(t), Want: "ginhealth: engine is nil"},
		{Name: "nil registry", F: gin.New(), H: nil, Want: "ginhealth: registry is nil"},
	})
}

// TestRun checks that Run listens on the address it is given
// (conformance.RunAddr).
func TestRun(t *testing.T) {
	t.Parallel()
	conformance.RunAddr(t, runner)
}

// runner is ginhealth's pair of runners, serving a bare engine.
var runner = conformance.Runner[*gin.Engine]{
	Run:   ginhealth.Run,
	Serve: ginhealth.Serve,
	New:   func() *gin.Engine { return gin.New() },
}

func TestRegisterNilRegistry(t *testing.T) {
	t.Parallel()
	r := gin.New()
	r.Use(ginhealth.Drain(nil))
	ginhealth.Register(r, nil)
	r.GET("/orders", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	for path, want := range map[string]int{"/readyz": 500, "/livez/db": 500, "/orders": 200} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != want {
			t.Errorf("%s with a nil registry: %d, want %d", path, w.Code, want)
		}
	}
}
