package chihealth_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
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

func TestRegisterPrefixForms(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"/internal", "internal", "/internal/", "internal/"} {
		t.Run(prefix, func(t *testing.T) {
			t.Parallel()
			h := newRegistry(t)
			r := chi.NewRouter()
			r.Route("/internal", func(r chi.Router) { chihealth.Register(r, h, chihealth.Options{Prefix: prefix}) })
			if !h.IsProbePath("/internal/readyz/db") {
				t.Errorf("Options{Prefix: %q}: /internal/readyz/db is not a probe path for Drain", prefix)
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/internal/readyz/db", nil))
			if rec.Code != http.StatusOK {
				t.Errorf("GET /internal/readyz/db = %d, want 200", rec.Code)
			}
		})
	}
}

// An escaped slash makes chi route "/readyz/a%2Fb" to the per-check route;
// core's handler sees two path segments there, which is no probe.
func TestEscapedSlashIsNoCheck(t *testing.T) {
	t.Parallel()
	h := newRegistry(t)
	r := chi.NewRouter()
	chihealth.Register(r, h)
	for _, target := range []string{"/readyz/a%2Fb", "/livez/%2F"} {
		got, want := httptest.NewRecorder(), httptest.NewRecorder()
		r.ServeHTTP(got, httptest.NewRequest(http.MethodGet, target, nil))
		h.Handler().ServeHTTP(want, httptest.NewRequest(http.MethodGet, target, nil))
		if got.Code != want.Code || got.Body.String() != want.Body.String() {
			t.Errorf("GET %s = %d %q, core answers %d %q", target, got.Code, got.Body, want.Code, want.Body)
		}
	}
}

// TestRunRejectsNil checks that a nil handler or registry is an error at
// once, from Run and from Serve (conformance.RejectsNil).
func TestRunRejectsNil(t *testing.T) {
	t.Parallel()
	conformance.RejectsNil(t, runner, []conformance.NilCase[http.Handler]{
		{Name: "nil handler", F: nil, H: newRegistry(t), Want: "chihealth: handler is nil"},
		{Name: "nil registry", F: chi.NewRouter(), H: nil, Want: "chihealth: registry is nil"},
	})
}

// TestRun checks that Run listens on the address it is given
// (conformance.RunAddr).
func TestRun(t *testing.T) {
	t.Parallel()
	conformance.RunAddr(t, runner)
}

// runner is chihealth's pair of runners, serving a bare chi router.
var runner = conformance.Runner[http.Handler]{
	Run:   chihealth.Run,
	Serve: chihealth.Serve,
	New:   func() http.Handler { return chi.NewRouter() },
}

func TestRegisterNilRegistry(t *testing.T) {
	t.Parallel()
	r := chi.NewRouter()
	r.Use(chihealth.Drain(nil))
	chihealth.Register(r, nil)
	r.Get("/orders", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	for path, want := range map[string]int{"/readyz": 500, "/livez/db": 500, "/orders": 200} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != want {
			t.Errorf("%s with a nil registry: %d, want %d", path, w.Code, want)
		}
	}
}
