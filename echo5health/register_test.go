package echo5health_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/echo5health"
)

// timestamp is the one part of a report that differs between two
// evaluations of the same results.
var timestamp = regexp.MustCompile(`"timestamp":"[^"]*"`)

// routerConfigs are the echo v5 router settings that change what a check
// parameter holds: routing on the raw path or the decoded one, and
// unescaping parameters or not.
var routerConfigs = map[string]echo.RouterConfig{
	"default":   {},
	"unescape":  {UnescapePathParamValues: true},
	"escaped":   {UseEscapedPathForMatching: true},
	"unescape2": {UnescapePathParamValues: true, UseEscapedPathForMatching: true},
}

// TestRegisterMatchesCore compares every probe answer, at the root and under
// a group prefix, with core's net/http handler: status, every header, body.
func TestRegisterMatchesCore(t *testing.T) {
	t.Parallel()
	regs := map[bool]*core.Registry{
		false: conformance.MatchRegistry(t, core.Options{}, false),
		true:  conformance.MatchRegistry(t, core.Options{}, true),
	}
	for cname, rc := range routerConfigs {
		for _, prefix := range []string{"", "/internal"} {
			servers := map[bool][2]http.Handler{}
			for failing, h := range regs {
				e := echo.NewWithConfig(echo.Config{Router: echo.NewRouter(rc)})
				if prefix == "" {
					echo5health.Register(e, h)
				} else {
					echo5health.Register(e.Group(prefix), h)
				}
				ref := h.Handler()
				if prefix != "" {
					ref = http.StripPrefix(prefix, ref)
				}
				servers[failing] = [2]http.Handler{e, ref}
			}
			for _, tc := range conformance.MatchRequests() {
				t.Run(cname+" "+tc.Method+" "+prefix+tc.Target, func(t *testing.T) {
					srv := servers[tc.Failing]
					got := serve(srv[0], tc.Method, prefix+tc.Target, tc.Accept)
					want := serve(srv[1], tc.Method, prefix+tc.Target, tc.Accept)
					if got.Code != tc.Code || want.Code != tc.Code {
						t.Fatalf("code: echo %d, core %d, want %d", got.Code, want.Code, tc.Code)
					}
					if !reflect.DeepEqual(got.Header(), want.Header()) {
						t.Errorf("headers differ:\necho %v\ncore %v", got.Header(), want.Header())
					}
					g := timestamp.ReplaceAllString(got.Body.String(), `"timestamp":"T"`)
					w := timestamp.ReplaceAllString(want.Body.String(), `"timestamp":"T"`)
					if g != w {
						t.Errorf("bodies differ:\necho %q\ncore %q", g, w)
					}
					if tc.Method == http.MethodHead && got.Body.Len() != 0 {
						t.Errorf("HEAD answered with a body: %q", got.Body)
					}
				})
			}
		}
	}
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
// are no probe are echo's 404, and an escaped slash in a check name does not
// make a check path (core's unescaped path has a segment too many).
func TestRegisterNotProbes(t *testing.T) {
	t.Parallel()
	h := conformance.MatchRegistry(t, core.Options{}, false)
	for cname, rc := range routerConfigs {
		e := echo.NewWithConfig(echo.Config{Router: echo.NewRouter(rc)})
		echo5health.Register(e.Group("/internal"), h)
		for _, target := range []string{
			"/readyz",
			"/internal/readyz/db/extra",
			"/internal/readyz/a%2Fb",
			"/internal/livezz",
		} {
			if rec := serve(e, "GET", target, ""); rec.Code != http.StatusNotFound {
				t.Errorf("%s: GET %s = %d, want 404", cname, target, rec.Code)
			}
		}
	}
}

// TestRegisterMountedAt checks that Register tells the registry where the
// probes are, so that drain middleware recognises them.
func TestRegisterMountedAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix string
		probe  []string
		not    []string
	}{
		{"", []string{"/readyz", "/livez/db"}, []string{"/internal/readyz"}},
		// Mounted under a prefix only, the root paths are not probes: an
		// app's own /readyz there is counted like any request.
		{"/internal", []string{"/internal/readyz", "/internal/startupz/boot"}, []string{"/readyz", "/api/readyz", "/internal/app"}},
		{"/a/b", []string{"/a/b/healthz"}, []string{"/healthz", "/a/healthz", "/b/healthz"}},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			t.Parallel()
			h, err := core.New(core.Options{})
			if err != nil {
				t.Fatal(err)
			}
			e := echo.New()
			if tc.prefix == "" {
				echo5health.Register(e, h)
			} else {
				echo5health.Register(e.Group(tc.prefix), h)
			}
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

// TestRegisterMiddleware checks that the middleware given to Register runs
// before the probes, and only there.
func TestRegisterMiddleware(t *testing.T) {
	t.Parallel()
	h := conformance.MatchRegistry(t, core.Options{}, false)
	e := echo.New()
	deny := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if c.Request().Header.Get("X-Allowed") == "" {
				return echo.ErrForbidden
			}
			return next(c)
		}
	}
	echo5health.Register(e, h, deny)
	e.GET("/app", func(c *echo.Context) error { return c.NoContent(http.StatusNoContent) })
	if rec := serve(e, "GET", "/readyz", ""); rec.Code != http.StatusForbidden {
		t.Errorf("GET /readyz without X-Allowed = %d, want 403", rec.Code)
	}
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	req.Header.Set("X-Allowed", "1")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("GET /readyz with X-Allowed = %d, want 200", rec.Code)
	}
	if rec := serve(e, "GET", "/app", ""); rec.Code != http.StatusNoContent {
		t.Errorf("GET /app = %d, want 204", rec.Code)
	}
}

// TestRegisterEscapedCheck checks check names escaped otherwise than Go's
// default encoding (the request then has a URL.RawPath) under every router
// configuration: the name Probe sees is the once-unescaped segment, as in
// core's handler, whether or not echo unescaped the parameter already.
func TestRegisterEscapedCheck(t *testing.T) {
	t.Parallel()
	h := conformance.MatchRegistry(t, core.Options{}, false)
	for cname, rc := range routerConfigs {
		e := echo.NewWithConfig(echo.Config{Router: echo.NewRouter(rc)})
		echo5health.Register(e, h)
		for _, target := range []string{
			"/readyz/db%3Aprimary",
			"/readyz/x%3A%2541", // unescaped twice, it would be "x:A"
			"/livez/%64b",
		} {
			got, want := serve(e, "GET", target, ""), serve(h.Handler(), "GET", target, "")
			g := timestamp.ReplaceAllString(got.Body.String(), `"timestamp":"T"`)
			w := timestamp.ReplaceAllString(want.Body.String(), `"timestamp":"T"`)
			if got.Code != want.Code || g != w {
				t.Errorf("%s: GET %s = %d %q, core %d %q", cname, target, got.Code, g, want.Code, w)
			}
		}
	}
}
