package checks_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// TestFailuresDoNotLeakSecrets configures each check with secrets, makes it
// fail, and looks for the secrets everywhere a failure surfaces: the reason,
// the error text, every probe response format and the registry's log. Checks
// marked exposeSafe are also probed with core.Options.ExposeErrors, which
// shows the underlying error: what the check itself controls must stay clean
// even then.
func TestFailuresDoNotLeakSecrets(t *testing.T) {
	t.Parallel()
	const (
		password = "pw-4f2a9c"
		token    = "tok-8b1e77"
		header   = "hdr-5d03aa"
		userinfo = "ui-91c0de"
	)
	secrets := []string{password, token, header, userinfo}

	fail500 := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	redirect := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:1/?token="+token, http.StatusFound)
	})
	echo := serve(t, nil, redisServer(func(args []string) string {
		return "-WRONGPASS you sent " + strings.Join(args, " ") + "\r\n"
	}))
	refused := closedAddr(t)
	httpOpts := checks.HTTPOptions{Header: http.Header{"Authorization": {"Bearer " + header}}}
	withSecrets := func(base string) string {
		return strings.Replace(base, "http://", "http://app:"+userinfo+"@", 1) + "/healthz?token=" + token
	}
	dsnErr := fmt.Errorf("dial postgres://app:%s@db.internal/orders: %w", password, syscall.ECONNREFUSED)

	tests := []struct {
		name       string
		check      core.CheckFunc
		exposeSafe bool // the underlying error is the check's own, not a driver's
	}{
		{name: "redis-wrong-password", exposeSafe: true,
			check: must(t)(checks.Redis(echo.Addr(), checks.RedisOptions{Username: "app", Password: password}))},
		{name: "redis-refused", exposeSafe: true,
			check: must(t)(checks.Redis(refused, checks.RedisOptions{Password: password}))},
		{name: "http-500", exposeSafe: true,
			check: must(t)(checks.HTTP(withSecrets(fail500.URL), httpOpts))},
		{name: "http-refused", exposeSafe: true,
			check: must(t)(checks.HTTP(withSecrets("http://"+refused), httpOpts))},
		{name: "http-redirect", exposeSafe: true,
			check: must(t)(checks.HTTP(withSecrets(redirect.URL), httpOpts))},
		{name: "sql-driver-error",
			check: must(t)(checks.SQL((&fakeDB{pingErr: dsnErr}).open(t), checks.SQLOptions{Name: "postgres"}))},
	}
	for _, tt := range tests {
		for _, expose := range []bool{false, true} {
			if expose && !tt.exposeSafe {
				continue
			}
			t.Run(fmt.Sprintf("%s/expose=%v", tt.name, expose), func(t *testing.T) {
				t.Parallel()
				var logs bytes.Buffer
				h, err := core.New(core.Options{
					ExposeErrors: expose,
					Logger:       slog.New(slog.NewTextHandler(&logs, nil)),
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { h.Close() })
				if err := h.Register(core.Check{Name: tt.name, Check: tt.check}); err != nil {
					t.Fatal(err)
				}
				h.MarkStarted()

				checkErr := tt.check(context.Background())
				surfaces := map[string]string{"reason": mustFail(t, checkErr).Reason}
				if tt.exposeSafe {
					surfaces["error"] = checkErr.Error()
				}
				for _, req := range []core.ProbeRequest{
					{Method: http.MethodGet, Kind: core.Readiness},
					{Method: http.MethodGet, Kind: core.Readiness, RawQuery: "verbose"},
					{Method: http.MethodGet, Kind: core.Readiness, Accept: "application/health+json"},
					{Method: http.MethodGet, Kind: core.Readiness, Check: tt.name},
				} {
					resp := h.Probe(context.Background(), req)
					if resp.Code != http.StatusServiceUnavailable {
						t.Fatalf("probe %+v: code %d, want 503", req, resp.Code)
					}
					surfaces[fmt.Sprintf("response %+v", req)] = string(resp.Body)
				}
				surfaces["log"] = logs.String()
				if !strings.Contains(surfaces["log"], tt.name) {
					t.Fatalf("log %q does not mention the failing check: the test looks in the wrong place", surfaces["log"])
				}
				for where, text := range surfaces {
					for _, s := range secrets {
						if strings.Contains(text, s) {
							t.Errorf("%s leaks secret %q: %s", where, s, text)
						}
					}
				}
			})
		}
	}
}
