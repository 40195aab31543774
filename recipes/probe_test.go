package recipes_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// shown is everything a registry showed of a recipe's check after its first
// run: the result, the probe's two bodies and the log.
type shown struct {
	result     core.Result
	status     int    // of GET /readyz/{name}
	json, text string // GET /readyz/{name}, and with ?verbose
	logs       string
}

// probe registers a recipe on a fresh registry, as a service would, starts
// it, waits for the check's first run and closes the registry again, so
// that the check is not running when the test closes the client.
func probe(t *testing.T, register func(*core.Registry) error) shown {
	t.Helper()
	var logs lockedBuffer
	h, err := core.New(core.Options{
		Service: "recipes",
		Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	first := make(chan core.Result, 1)
	if _, err := h.AddObserver(firstResult(first)); err != nil {
		t.Fatal(err)
	}
	if err := register(h); err != nil {
		t.Fatalf("the recipe does not register: %v", err)
	}
	checks := h.Checks()
	if len(checks) != 1 {
		t.Fatalf("the recipe registered %d checks, want 1", len(checks))
	}
	name := checks[0].Name
	h.MarkStarted()
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var s shown
	select {
	case s.result = <-first:
	case <-time.After(time.Minute): // a guard against a hang, far above any Timeout
		t.Fatalf("check %s: no result after a minute", name)
	}
	s.status, s.json = get(t, h, "/readyz/"+name)
	_, s.text = get(t, h, "/readyz/"+name+"?verbose")
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	s.logs = logs.String()
	return s
}

// get answers one request with the registry's handler.
func get(t *testing.T, h *core.Registry, target string) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	res := w.Result()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// healthy fails the test unless the check passed and the probe said 200.
func (s shown) healthy(t *testing.T) {
	t.Helper()
	if s.result.Status != core.StatusOK || s.status != http.StatusOK {
		t.Fatalf("check %s = %s %q (probe %d), want ok; error: %v", s.result.Name, s.result.Status, s.result.Message, s.status, s.result.Err)
	}
}

// failed fails the test unless the check failed with the reason want (a
// prefix of the result's message), the probe said 503 with that reason,
// and none of secrets appears in anything shown.
func (s shown) failed(t *testing.T, want string, secrets ...string) {
	t.Helper()
	if s.result.Status == core.StatusOK || s.status != http.StatusServiceUnavailable {
		t.Fatalf("check %s = %s (probe %d), want a failure", s.result.Name, s.result.Status, s.status)
	}
	if !strings.HasPrefix(s.result.Message, want) {
		t.Errorf("reason %q, want it to start with %q (error: %v)", s.result.Message, want, s.result.Err)
	}
	if !strings.Contains(s.text, want) {
		t.Errorf("?verbose body %q lacks the reason %q", s.text, want)
	}
	for _, secret := range secrets {
		for where, text := range map[string]string{"reason": s.result.Message, "JSON body": s.json, "?verbose body": s.text, "log": s.logs} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s shows the secret %q: %s", where, secret, text)
			}
		}
	}
}

// firstResult is an observer that hands the first result on.
type firstResult chan core.Result

func (c firstResult) ObserveResult(r core.Result) {
	select {
	case c <- r:
	default:
	}
}

func (firstResult) ObserveTransition(core.Transition) {}

// lockedBuffer is a bytes.Buffer the registry's goroutines may write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
