package core

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAdminDrillRequests(t *testing.T) {
	t.Parallel()
	bearer := "Bearer " + testAdminToken
	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string // in the body
		drilling                 bool   // a drill is in effect after the request
	}{
		{"list none", "GET", "/drills", "", 200, `{"drills":[]}`, false},
		{"start", "PUT", "/checks/db/drill", `{"status":"unavailable","duration":"15m","actor":"alice","reason":"game day"}`, 200, `{"check":"db","status":"unavailable","actor":"alice","reason":"game day","since":"`, true},
		{"start failed", "PUT", "/checks/db/drill", `{"status":"failed","duration":"15m","actor":"alice"}`, 200, `"status":"unavailable"`, true},
		{"start degraded", "PUT", "/checks/db/drill/", `{"status":"degraded","duration":"2h","actor":"alice"}`, 200, `"status":"degraded"`, true},
		{"unknown check", "PUT", "/checks/nosuch/drill", `{"status":"degraded","duration":"1m","actor":"alice"}`, 400, `unknown check \"nosuch\"`, false},
		{"escaped dots", "PUT", "/checks/%2E%2E/drill", `{"status":"degraded","duration":"1m","actor":"alice"}`, 400, `unknown check \"..\"`, false},
		{"missing status", "PUT", "/checks/db/drill", `{"duration":"1m","actor":"alice"}`, 400, `missing field \"status\"`, false},
		{"bad status", "PUT", "/checks/db/drill", `{"status":"ok","duration":"1m","actor":"alice"}`, 400, `field \"status\" must be \"unavailable\" (or \"failed\") or \"degraded\", got \"ok\"`, false},
		{"missing actor", "PUT", "/checks/db/drill", `{"status":"degraded","duration":"1m"}`, 400, `missing field \"actor\"`, false},
		{"control in actor", "PUT", "/checks/db/drill", `{"status":"degraded","duration":"1m","actor":"a\u0007"}`, 400, "control or format character", false},
		{"missing duration", "PUT", "/checks/db/drill", `{"status":"degraded","actor":"alice"}`, 400, `missing field \"duration\"`, false},
		{"bad duration", "PUT", "/checks/db/drill", `{"status":"degraded","duration":"later","actor":"alice"}`, 400, `\"later\" is not a duration`, false},
		{"zero duration", "PUT", "/checks/db/drill", `{"status":"degraded","duration":"0s","actor":"alice"}`, 400, "must be positive, got 0s", false},
		{"over the maximum", "PUT", "/checks/db/drill", `{"status":"degraded","duration":"2h1s","actor":"alice"}`, 400, "2h0m1s is over the maximum 2h0m0s", false},
		{"long reason", "PUT", "/checks/db/drill", `{"status":"degraded","duration":"1m","actor":"alice","reason":"` + strings.Repeat("r", 257) + `"}`, 400, `field \"reason\" is longer than 256 bytes`, false},
		{"unknown field", "PUT", "/checks/db/drill", `{"status":"degraded","duration":"1m","actor":"alice","enabled":true}`, 400, `unknown field \"enabled\"`, false},
		{"status as number", "PUT", "/checks/db/drill", `{"status":2,"duration":"1m","actor":"alice"}`, 400, `field \"status\" must be string`, false},
		{"no body", "PUT", "/checks/db/drill", ``, 400, "missing JSON body", false},
		{"end without drill", "DELETE", "/checks/db/drill", `{"actor":"bob"}`, 200, `{"check":"db","ended":false}`, false},
		{"end without actor", "DELETE", "/checks/db/drill", `{}`, 400, `missing field \"actor\"`, false},
		{"end unknown check", "DELETE", "/checks/nosuch/drill", `{"actor":"bob"}`, 400, "unknown check", false},
		{"wrong method", "GET", "/checks/db/drill", "", 405, "not allowed: use PUT, DELETE", false},
		{"no check resource", "GET", "/checks/db", "", 404, "no such admin resource", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, _, h, logs := adminFixture(t)
			defer func() { _, _ = r.EndDrill("db", "test") }()
			w := adminDo(h, tt.method, tt.path, bearer, "", tt.body)
			body := w.Body.String()
			if w.Code != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("%s %s = %d %s; want %d with %s", tt.method, tt.path, w.Code, body, tt.code, tt.want)
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Errorf("body is not JSON: %s", body)
			}
			if got := len(r.Drills()) == 1; got != tt.drilling {
				t.Errorf("drilling = %v after the request, want %v", got, tt.drilling)
			}
			if strings.Contains(logs.String(), testAdminToken) {
				t.Errorf("the token reached the log:\n%s", logs)
			}
		})
	}
}

// An operator drills a check over a real connection: the action is logged
// (who, what, how long), readiness fails with the drill, the feature
// following the check turns off, and ending the drill restores both.
func TestAdminDrillOverHTTP(t *testing.T) {
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
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("PUT", "/admin/checks/db/drill", `{"status":"unavailable","duration":"45m","actor":"alice","reason":"GD-7"}`); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	if f.Enabled() {
		t.Error("feature on during the drill of its check")
	}
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if rep.Status != StatusUnavailable || rep.Checks[0].Drill == nil || rep.Checks[0].Drill.Until.Sub(rep.Checks[0].Drill.Since) != 45*time.Minute {
		t.Errorf("report during the drill %+v", rep)
	}
	if code, body := do("GET", "/admin/drills", ""); code != 200 || !strings.Contains(body, `{"drills":[{"check":"db","status":"unavailable","actor":"alice","reason":"GD-7"`) {
		t.Errorf("list: %d %s", code, body)
	}
	if code, body := do("DELETE", "/admin/checks/db/drill", `{"actor":"bob"}`); code != 200 || body != `{"check":"db","ended":true}`+"\n" {
		t.Fatalf("end: %d %s", code, body)
	}
	if !f.Enabled() || r.Drills() != nil {
		t.Errorf("after the end: enabled %v, drills %+v", f.Enabled(), r.Drills())
	}
	for _, want := range []string{
		`msg="probekit admin: drill started" check=db actor=alice status=unavailable for=45m0s reason=GD-7 remote=127.0.0.1`,
		`msg="probekit admin: drill ended" check=db actor=bob was_drilling=true remote=127.0.0.1`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}
