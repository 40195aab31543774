package core

import (
	"bufio"
	"io"
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
