package core

import (
	"net/http"
	"strings"
	"testing"
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
