package core

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzAdminRequest feeds the admin handler arbitrary methods, paths,
// Authorization headers and bodies: it never panics, always answers one of
// its documented codes with a JSON body, never echoes the token, and acts
// only for a caller that presented it.
func FuzzAdminRequest(f *testing.F) {
	bearer := "Bearer " + testAdminToken
	f.Add("GET", "/features", bearer, "")
	f.Add("PUT", "/features/recs/force", bearer, `{"enabled":false,"duration":"30m","actor":"alice","reason":"INC-1"}`)
	f.Add("DELETE", "/features/recs/force", bearer, `{"actor":"bob"}`)
	f.Add("PUT", "/features/recs/force", "Bearer x", `{"enabled":true,"duration":"1h","actor":"eve"}`)
	f.Add("PUT", "/features/%72ecs/force/", bearer, `{"enabled":true,"duration":"1h1ns","actor":"a\u202e"}`)
	f.Add("GET", "/drills", bearer, "")
	f.Add("PUT", "/checks/db/drill", bearer, `{"status":"unavailable","duration":"15m","actor":"alice","reason":"game day"}`)
	f.Add("PUT", "/checks/db/drill", bearer, `{"status":"degraded","duration":"2h0m1s","actor":"alice"}`)
	f.Add("PUT", "/checks/%64b/drill/", bearer, `{"status":"failed","duration":"1ns","actor":"a\u202e","reason":"\u0000"}`)
	f.Add("PUT", "/checks/db/drill", "Bearer x", `{"status":"unavailable","duration":"1h","actor":"eve"}`)
	f.Add("DELETE", "/checks/db/drill", bearer, `{"actor":"bob"}`)
	f.Fuzz(func(t *testing.T, method, path, auth, body string) {
		if _, err := url.ParseRequestURI(path); err != nil || !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\x00#?") {
			return // not a request net/http would hand a handler
		}
		r, feat, h, logs := adminFixture(t)
		defer func() { _, _ = r.EndDrill("db", "fuzz") }()
		before := feat.State()
		w := adminDo(h, method, path, auth, "", body)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound,
			http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("%s %q: code %d", method, path, w.Code)
		}
		if method != http.MethodHead && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %q: body is not JSON: %q", method, path, w.Body)
		}
		if strings.Contains(w.Body.String(), testAdminToken) || strings.Contains(logs.String(), testAdminToken) {
			t.Fatal("the token reached the answer or the log")
		}
		if auth != bearer && !strings.EqualFold(strings.TrimSpace(auth), bearer) && feat.State().Forced != before.Forced {
			t.Fatalf("a caller without the token changed the feature: %q", auth)
		}
		if auth != bearer && !strings.EqualFold(strings.TrimSpace(auth), bearer) && r.Drills() != nil {
			t.Fatalf("a caller without the token started a drill: %q", auth)
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c < '!' || c > '~' || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
