package core

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A token read from a file or a Secret often ends in a newline. The handler
// trims the token a request carries, so a configured token with surrounding
// white space could never match: every request would get 401 with nothing
// telling the operator why. AdminHandler must refuse such a token.
func TestAdminTokenWithSurroundingSpaceIsRefused(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	for _, tok := range []string{testAdminToken + "\n", " " + testAdminToken, testAdminToken + "\r\n", "\t" + testAdminToken} {
		h, err := AdminHandler(r, AdminOptions{Token: tok})
		if err == nil {
			w := adminDo(h, http.MethodGet, "/features", "Bearer "+strings.TrimSpace(tok), "", "")
			t.Errorf("AdminHandler(Token %q) = handler, no error; a request with the token gets %d", tok, w.Code)
			continue
		}
		if !strings.Contains(err.Error(), "AdminOptions.Token") || strings.Contains(err.Error(), testAdminToken) {
			t.Errorf("error %q: want it to name AdminOptions.Token and not hold the token", err)
		}
	}
}

// A client that sends the headers of a PUT and then trickles (or withholds)
// the body must not hold the handler's goroutine for good on a server
// without ReadTimeout: the handler bounds the body's reading itself.
func TestAdminSlowBodyIsBounded(t *testing.T) {
	t.Parallel()
	_, _, h, _ := adminFixture(t)
	h.(*admin).bodyTimeout = 50 * time.Millisecond
	srv := httptest.NewServer(h) // no ReadTimeout
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = io.WriteString(conn, "PUT /features/recs/force HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+testAdminToken+
		"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"enabled\":")
	if err != nil {
		t.Fatal(err)
	}
	// The rest of the body never comes. Fail rather than hang should the
	// handler wait for it.
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer while the body is withheld: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408", resp.StatusCode)
	}
}

// Hostile and careless requests: each gets the status it should, and
// neither the token nor raw control characters reach the answer or the log.
func TestAdminHostileRequests(t *testing.T) {
	t.Parallel()
	good := "Bearer " + testAdminToken
	long := strings.Repeat("a", 10<<10)
	tests := []struct {
		name, method, path, auth, body string
		extraAuth                      string // a second Authorization header
		want                           int
	}{
		{"bearer lower case", "GET", "/features", "bearer " + testAdminToken, "", "", 200},
		{"bearer upper case", "GET", "/features", "BEARER " + testAdminToken, "", "", 200},
		{"two spaces", "GET", "/features", "Bearer  " + testAdminToken, "", "", 200},
		{"scheme only", "GET", "/features", "Bearer", "", "", 401},
		{"scheme and space", "GET", "/features", "Bearer ", "", "", 401},
		{"basic", "GET", "/features", "Basic " + testAdminToken, "", "", 401},
		{"token without scheme", "GET", "/features", testAdminToken, "", "", 401},
		{"token prefix", "GET", "/features", good[:len(good)-1], "", "", 401},
		{"token and more", "GET", "/features", good + "x", "", "", 401},
		{"token in the query", "GET", "/features?access_token=" + testAdminToken, "", "", "", 401},
		{"wrong then right header", "GET", "/features", "Bearer wrong-token-wrong-token", "", good, 401},
		{"right then wrong header", "GET", "/features", good, "", "Bearer wrong-token-wrong-token", 401},
		{"right twice", "GET", "/features", good, "", good, 401},
		{"unauthenticated PUT is not parsed", "PUT", "/features/recs/force", "", `{"enabled":false,"duration":"1m","actor":"mallory"}`, "", 401},
		{"dot-dot name", "PUT", "/features/%2e%2e/force", good, `{}`, "", 400},
		{"encoded slash", "GET", "/features/recs%2Fforce", good, "", "", 400},
		{"trailing slash", "GET", "/features/recs/", good, "", "", 200},
		{"double slash", "GET", "/features//recs", good, "", "", 404},
		{"unicode name", "GET", "/features/r%C3%A9cs", good, "", "", 400},
		{"bidi name", "GET", "/features/%E2%80%AEsc%1Ber", good, "", "", 400},
		{"very long name", "GET", "/features/" + long, good, "", "", 400},
		{"overflowing duration", "PUT", "/features/recs/force", good, `{"enabled":false,"duration":"9999999999999h","actor":"a"}`, "", 400},
		{"1e400 duration", "PUT", "/features/recs/force", good, `{"enabled":false,"duration":1e400,"actor":"a"}`, "", 400},
		{"negative duration", "PUT", "/features/recs/force", good, `{"enabled":false,"duration":"-1h","actor":"a"}`, "", 400},
		{"ansi actor", "PUT", "/features/recs/force", good, `{"enabled":false,"duration":"1m","actor":"\u001b[31mroot"}`, "", 400},
		{"bidi actor", "PUT", "/features/recs/force", good, `{"enabled":false,"duration":"1m","actor":"\u202eecila"}`, "", 400},
		{"huge actor", "PUT", "/features/recs/force", good, `{"enabled":false,"duration":"1m","actor":"` + strings.Repeat("a", 4000) + `"}`, "", 400},
		{"huge body", "PUT", "/features/recs/force", good, `{"enabled":false,"duration":"1m","actor":"a","reason":"` + strings.Repeat("a", 10<<20) + `"}`, "", 413},
		{"two objects", "PUT", "/features/recs/force", good, `{"enabled":false,"duration":"1m","actor":"a"}{}`, "", 400},
		{"array", "PUT", "/features/recs/force", good, `[]`, "", 400},
		{"null", "PUT", "/features/recs/force", good, `null`, "", 400},
		{"unknown field", "PUT", "/features/recs/force", good, `{"enabled":false,"duration":"1m","actor":"a","until":"never"}`, "", 400},
		{"ansi reason is accepted and neutralised", "PUT", "/features/recs/force", good, `{"enabled":false,"duration":"1m","actor":"a","reason":"\u001b[2J\u202e\nfake log line token=hunter2"}`, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, h, logs := adminFixture(t)
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.extraAuth != "" {
				req.Header.Add("Authorization", tt.extraAuth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d; body %s", w.Code, tt.want, cut(w.Body.String(), 300))
			}
			for where, text := range map[string]string{"answer": w.Body.String(), "log": logs.String()} {
				if strings.Contains(text, testAdminToken) || strings.Contains(text, "hunter2") {
					t.Errorf("the %s holds a secret:\n%s", where, cut(text, 500))
				}
				if strings.ContainsAny(text, "\x1b\u202e") {
					t.Errorf("the %s holds a raw control or bidi character:\n%q", where, cut(text, 500))
				}
				if len(text) > 4<<10 {
					t.Errorf("the %s is %d bytes", where, len(text))
				}
			}
		})
	}
}

// A force after the registry closed (the admin server still up during
// shutdown) is no bad request: 503, so that a client may retry elsewhere.
func TestAdminForceAfterClose(t *testing.T) {
	t.Parallel()
	r, _, h, _ := adminFixture(t)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	w := adminDo(h, http.MethodPut, "/features/recs/force", "Bearer "+testAdminToken, "application/json",
		`{"enabled":false,"duration":"1m","actor":"alice"}`)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503; body %s", w.Code, w.Body)
	}
	for method, body := range map[string]string{
		http.MethodPut:    `{"status":"degraded","duration":"1m","actor":"alice"}`,
		http.MethodDelete: `{"actor":"alice"}`,
	} {
		w := adminDo(h, method, "/checks/db/drill", "Bearer "+testAdminToken, "application/json", body)
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s drill: status %d, want 503; body %s", method, w.Code, w.Body)
		}
	}
}

// The read bound must not outlive the body: net/http cancels a request's
// context when a read past the body fails, so a deadline left in place
// would cancel every admin request still running after it (a drill that
// waits, a slow route), body or not.
func TestAdminReadBoundSparesLongRequests(t *testing.T) {
	t.Parallel()
	_, _, h, _ := adminFixture(t)
	a := h.(*admin)
	a.bodyTimeout = 20 * time.Millisecond
	ctxErr := make(chan error, 1)
	slow := func(w http.ResponseWriter, req *http.Request, _ []string, _ *slog.Logger) {
		if req.Method == http.MethodPut {
			var body clearRequest
			if !readAdminJSON(w, req, &body) {
				ctxErr <- errors.New("body refused")
				return
			}
		}
		time.Sleep(10 * a.bodyTimeout) // well past the read bound: a route still at work
		ctxErr <- req.Context().Err()
		w.WriteHeader(http.StatusNoContent)
	}
	a.router = newAdminRouter(a.featureRoutes(), []adminRoute{{http.MethodGet, "/slow", slow}, {http.MethodPut, "/slow", slow}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		var body io.Reader
		if method == http.MethodPut {
			body = strings.NewReader(`{"actor":"alice"}`)
		}
		req, _ := http.NewRequest(method, srv.URL+"/slow", body)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if err := <-ctxErr; err != nil {
			t.Errorf("%s: the request's context after the read bound: %v, want still live", method, err)
		}
	}
}
