package integration_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// TestHTTPUpstreams serves a registry over real HTTP, with checks against
// misbehaving upstreams, and reads the probe the way an operator would:
// every failing upstream is named with its reason, and nothing secret from
// the check URLs or headers shows.
func TestHTTPUpstreams(t *testing.T) {
	t.Parallel()
	var elsewhereHits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		elsewhereHits.Add(1)
	}))
	defer elsewhere.Close()
	// The same server under another host name.
	elsewhereURL := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)

	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
		case "/error":
			http.Error(w, "internal error", http.StatusInternalServerError)
		case "/moved":
			http.Redirect(w, r, elsewhereURL+"/healthz", http.StatusFound)
		case "/huge":
			for range 1024 { // 16 MiB, unless the client goes away first
				if _, err := w.Write(make([]byte, 16<<10)); err != nil {
					return
				}
			}
		}
	}))
	defer upstream.Close()
	host := strings.TrimPrefix(upstream.URL, "http://")

	const token = "tok-integration-5e1f"
	h := newRegistry(t, core.Options{})
	for _, c := range []struct{ name, path string }{
		{"ok", "/ok"}, {"error", "/error"}, {"moved", "/moved"}, {"huge", "/huge"},
	} {
		check := must(t)(checks.HTTP(upstream.URL+c.path+"?token="+token, checks.HTTPOptions{
			Name:   c.name,
			Header: http.Header{"Authorization": {"Bearer " + token}},
		}))
		if err := h.Register(core.Check{Name: c.name, Check: check, Timeout: 2 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	probes := httptest.NewServer(h.Handler())
	defer probes.Close()

	resp, err := probes.Client().Get(probes.URL + "/readyz?verbose")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz = %d, want 503", resp.StatusCode)
	}
	text := string(body)
	for _, want := range []string{
		"[+]ok ok",
		"[-]error failed: error " + host + ": status 500 (want 200-299)",
		"[-]moved failed: moved " + host + ": redirect to another host refused (localhost)",
		"[-]huge failed: huge " + host + ": body exceeds 65536 bytes",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("readyz?verbose lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, token) {
		t.Errorf("readyz?verbose leaks the token:\n%s", text)
	}
	if n := elsewhereHits.Load(); n != 0 {
		t.Errorf("the redirect to another host was followed %d times", n)
	}
}
