package demo

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// /metrics serves the checks' series once they have run, beside the Go
// runtime's, and a scrape is not counted as an in-flight request.
func TestMetrics(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, closedAddr(t)) // redis down: the service is degraded, sqlite is up
	readiness(t, app.Health)
	srv := httptest.NewServer(app.WithMetrics(app.Health.Drain(http.NotFoundHandler())))
	defer srv.Close()
	resp, err := http.Get(srv.URL + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	for _, want := range []string{
		`probekit_check_up{check="sqlite",kind="readiness"} 1`,
		"probekit_inflight_requests 0",
		`probekit_lifecycle_state{state="ready"} 1`,
		"go_goroutines ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}
