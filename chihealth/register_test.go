package chihealth_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
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
// once, rather than a server that runs and then crashes at shutdown, and
// that Serve closes its listener then.
func TestRunRejectsNil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.Handler
		h       *core.Registry
		want    string
	}{
		{"nil handler", nil, newRegistry(t), "chihealth: handler is nil"},
		{"nil registry", chi.NewRouter(), nil, "chihealth: registry is nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// An address Run must not listen on: it validates first.
			if err := chihealth.Run(context.Background(), tc.handler, "127.0.0.1:-1", tc.h); err == nil || err.Error() != tc.want {
				t.Errorf("Run = %v, want %q", err, tc.want)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if err := chihealth.Serve(context.Background(), tc.handler, ln, tc.h); err == nil || err.Error() != tc.want {
				t.Errorf("Serve = %v, want %q", err, tc.want)
			}
			if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Serve did not close its listener on error: Accept = %v", err)
			}
		})
	}
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
