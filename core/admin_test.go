package core

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testAdminToken = "s3cret-admin-token-0123456789"

// adminFixture is a registry with a passing check "db", a feature "recs"
// following it (on), and the admin handler, logging to logs.
func adminFixture(t *testing.T) (*Registry, *Feature, http.Handler, *safeBuffer) {
	t.Helper()
	logs := &safeBuffer{}
	r := newTestRegistry(t, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err := r.Register(Check{Name: "db", Check: ok}); err != nil {
		t.Fatal(err)
	}
	f, err := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Evaluate(context.Background(), Readiness); err != nil {
		t.Fatal(err)
	}
	h, err := AdminHandler(r, AdminOptions{Token: testAdminToken, MaxDuration: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return r, f, h, logs
}

func adminDo(h http.Handler, method, path, auth, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestAdminHandlerOptions(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	tests := []struct {
		name string
		reg  *Registry
		opts AdminOptions
		want string
	}{
		{"nil registry", nil, AdminOptions{Token: testAdminToken}, "registry is nil"},
		{"no token", r, AdminOptions{}, "Token is empty"},
		{"short token", r, AdminOptions{Token: "short"}, "Token is shorter than 16 bytes"},
		{"negative max", r, AdminOptions{Token: testAdminToken, MaxDuration: -1}, "MaxDuration is negative"},
		{"max over the cap", r, AdminOptions{Token: testAdminToken, MaxDuration: MaxForceDuration + 1}, "over MaxForceDuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := AdminHandler(tt.reg, tt.opts)
			if h != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("AdminHandler = %v, %v; want no handler and an error saying %q", h, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), testAdminToken) {
				t.Errorf("error holds the token: %v", err)
			}
		})
	}
}

func TestAdminRequests(t *testing.T) {
	t.Parallel()
	bearer := "Bearer " + testAdminToken
	tests := []struct {
		name, method, path, auth, contentType, body string
		code                                        int
		want                                        string // in the body
		header                                      [2]string
	}{
		{"no token", "GET", "/features", "", "", "", 401, "missing or wrong bearer token", [2]string{"WWW-Authenticate", `Bearer realm="probekit-admin"`}},
		{"wrong token", "GET", "/features", "Bearer nope-nope-nope-nope", "", "", 401, "missing or wrong", [2]string{}},
		{"token as basic", "GET", "/features", "Basic " + testAdminToken, "", "", 401, "missing or wrong", [2]string{}},
		{"token prefix", "GET", "/features", bearer[:len(bearer)-1], "", "", 401, "missing or wrong", [2]string{}},
		{"unknown path unauthenticated", "GET", "/nosuch", "", "", "", 401, "missing or wrong", [2]string{}},
		{"list", "GET", "/features", bearer, "", "", 200, `"name":"recs","enabled":true,"why":"checks ok"`, [2]string{"Cache-Control", "no-store"}},
		{"scheme case-insensitive", "GET", "/features", "bearer " + testAdminToken, "", "", 200, `"recs"`, [2]string{}},
		{"one", "GET", "/features/recs", bearer, "", "", 200, `"checks":["db"]`, [2]string{"Content-Type", "application/json"}},
		{"unknown feature", "GET", "/features/nosuch", bearer, "", "", 400, `unknown feature \"nosuch\"`, [2]string{}},
		{"unknown path", "GET", "/nosuch", bearer, "", "", 404, "no such admin resource", [2]string{}},
		{"wrong method", "POST", "/features", bearer, "", "", 405, "not allowed", [2]string{"Allow", "GET"}},
		{"wrong method on force", "GET", "/features/recs/force", bearer, "", "", 405, "not allowed", [2]string{"Allow", "PUT, DELETE"}},
		{"force off", "PUT", "/features/recs/force", bearer, "application/json", `{"enabled":false,"duration":"30m","actor":"alice","reason":"INC-42"}`, 200, `"enabled":false,"why":"forced off by alice until `, [2]string{}},
		{"force unknown feature", "PUT", "/features/nosuch/force", bearer, "", `{"enabled":false,"duration":"30m","actor":"alice"}`, 400, "unknown feature", [2]string{}},
		{"missing enabled", "PUT", "/features/recs/force", bearer, "", `{"duration":"30m","actor":"alice"}`, 400, `missing field \"enabled\"`, [2]string{}},
		{"missing duration", "PUT", "/features/recs/force", bearer, "", `{"enabled":true,"actor":"alice"}`, 400, `missing field \"duration\"`, [2]string{}},
		{"missing actor", "PUT", "/features/recs/force", bearer, "", `{"enabled":true,"duration":"1m"}`, 400, `missing field \"actor\"`, [2]string{}},
		{"bad duration", "PUT", "/features/recs/force", bearer, "", `{"enabled":true,"duration":"soon","actor":"alice"}`, 400, `\"soon\" is not a duration`, [2]string{}},
		{"negative duration", "PUT", "/features/recs/force", bearer, "", `{"enabled":true,"duration":"-5m","actor":"alice"}`, 400, "must be positive", [2]string{}},
		{"over the maximum", "PUT", "/features/recs/force", bearer, "", `{"enabled":true,"duration":"3h","actor":"alice"}`, 400, "3h0m0s is over the maximum 2h0m0s", [2]string{}},
		{"duration as number", "PUT", "/features/recs/force", bearer, "", `{"enabled":true,"duration":60,"actor":"alice"}`, 400, `field \"duration\" must be string`, [2]string{}},
		{"unknown field", "PUT", "/features/recs/force", bearer, "", `{"enabled":true,"duration":"1m","actor":"alice","until":"x"}`, 400, `unknown field \"until\"`, [2]string{}},
		{"data after", "PUT", "/features/recs/force", bearer, "", `{"enabled":true,"duration":"1m","actor":"alice"} {}`, 400, "data after the object", [2]string{}},
		{"not json", "PUT", "/features/recs/force", bearer, "", `enabled=true`, 400, "syntax error", [2]string{}},
		{"empty body", "PUT", "/features/recs/force", bearer, "", ``, 400, "missing JSON body", [2]string{}},
		{"control in actor", "PUT", "/features/recs/force", bearer, "", `{"enabled":true,"duration":"1m","actor":"al\u001b[31mice"}`, 400, "control or format character", [2]string{}},
		{"long actor", "PUT", "/features/recs/force", bearer, "", `{"enabled":true,"duration":"1m","actor":"` + strings.Repeat("a", 65) + `"}`, 400, "longer than 64 bytes", [2]string{}},
		{"form content type", "PUT", "/features/recs/force", bearer, "application/x-www-form-urlencoded", `{}`, 415, "Content-Type must be application/json", [2]string{}},
		{"body too big", "PUT", "/features/recs/force", bearer, "", `{"reason":"` + strings.Repeat("x", maxAdminBody) + `"}`, 413, "body over 8192 bytes", [2]string{}},
		{"clear", "DELETE", "/features/recs/force", bearer, "", `{"actor":"bob"}`, 200, `"forced":null`, [2]string{}},
		{"clear without actor", "DELETE", "/features/recs/force", bearer, "", `{}`, 400, `missing field \"actor\"`, [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, h, logs := adminFixture(t)
			w := adminDo(h, tt.method, tt.path, tt.auth, tt.contentType, tt.body)
			body := w.Body.String()
			if w.Code != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("%s %s = %d %s; want %d with %s", tt.method, tt.path, w.Code, body, tt.code, tt.want)
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Errorf("body is not JSON: %s", body)
			}
			if k := tt.header[0]; k != "" && w.Header().Get(k) != tt.header[1] {
				t.Errorf("%s: %q, want %q", k, w.Header().Get(k), tt.header[1])
			}
			if strings.Contains(logs.String(), testAdminToken) || strings.Contains(body, testAdminToken) {
				t.Errorf("the token reached the log or the answer:\n%s\n%s", logs, body)
			}
		})
	}
}

// An operator forces a feature off over a real connection, the action is
// logged (who, what, how long), a readiness report shows it, and clearing
// returns the feature to its checks.
func TestAdminForceOverHTTP(t *testing.T) {
	t.Parallel()
	r, f, h, logs := adminFixture(t)
	srv := httptest.NewServer(http.StripPrefix("/admin", h))
	t.Cleanup(srv.Close)
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("PUT", "/admin/features/recs/force", `{"enabled":false,"duration":"45m","actor":"alice","reason":"db failover"}`); code != 200 {
		t.Fatalf("force: %d %s", code, body)
	}
	if f.Enabled() {
		t.Fatal("feature still enabled after the force")
	}
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if st := rep.Features[0]; st.Forced == nil || st.Forced.Actor != "alice" || st.Forced.Until.Sub(st.Forced.Since) != 45*time.Minute {
		t.Errorf("report's feature %+v", st)
	}
	for _, want := range []string{`msg="probekit admin: feature forced" feature=recs actor=alice forced=off for=45m0s reason="db failover" remote=127.0.0.1`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if code, body := do("DELETE", "/admin/features/recs/force", `{"actor":"bob"}`); code != 200 || !strings.Contains(body, `"enabled":true`) {
		t.Fatalf("clear: %d %s", code, body)
	}
	if !f.Enabled() || !strings.Contains(logs.String(), "actor=bob was_forced=true") {
		t.Errorf("after clear: enabled %v, log:\n%s", f.Enabled(), logs)
	}
}

// A feature name that unescapes to a path element is only a name: unknown.
func TestAdminUnknownFeatureIsNotForced(t *testing.T) {
	t.Parallel()
	r, _, h, _ := adminFixture(t)
	w := adminDo(h, "PUT", "/features/%2E%2E/force", "Bearer "+testAdminToken, "", `{"enabled":false,"duration":"1m","actor":"a"}`)
	if w.Code != 400 || r.LookupFeature("..") != nil {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}
