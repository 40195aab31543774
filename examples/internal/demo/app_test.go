package demo

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

func newTestApp(t *testing.T, redisAddr string) *App {
	t.Helper()
	cfg := Config{Port: 8080, PropagationDelay: time.Millisecond, DrainTimeout: time.Second, RedisAddr: redisAddr}
	app, err := New(context.Background(), "test", cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := app.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	waitMigrated(t, app.Store)
	return app
}

// readiness evaluates readiness once every background check has a result.
func readiness(t *testing.T, h *core.Registry) core.Report {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rep, err := h.Evaluate(context.Background(), core.Readiness)
		if err != nil {
			t.Fatal(err)
		}
		ran := rep.Message != "starting"
		for _, c := range rep.Checks {
			ran = ran && !c.Time.IsZero()
		}
		if ran {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("background checks did not run in 10s: %+v", rep)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAppReadiness(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		redis       func(t *testing.T) string
		wantStatus  core.Status
		wantMessage string
	}{
		{"redis up", fakeRedis, core.StatusOK, ""},
		{"no redis: degraded, still ready", closedAddr, core.StatusDegraded, "degraded: redis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := newTestApp(t, tt.redis(t))
			rep := readiness(t, app.Health)
			if rep.Status != tt.wantStatus || rep.Message != tt.wantMessage {
				t.Errorf("readiness = %v %q, want %v %q", rep.Status, rep.Message, tt.wantStatus, tt.wantMessage)
			}
			if code := app.Health.StatusCode(rep.Status); code != http.StatusOK {
				t.Errorf("readiness code = %d, want 200", code)
			}
		})
	}
}

// The order page degrades instead of failing: without Redis the feature
// "recommendations" is off and the order comes without them; an operator
// forcing it on brings them back.
func TestAppOrderRecommendations(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, closedAddr(t))
	page := func() OrderPage {
		t.Helper()
		code, body := app.Order(context.Background(), "1")
		p, ok := body.(OrderPage)
		if code != http.StatusOK || !ok {
			t.Fatalf("Order(1) = %d %#v", code, body)
		}
		return p
	}
	if p := page(); p.Recommendations != nil {
		t.Errorf("recommendations %v while Redis is down (feature %+v)", p.Recommendations, app.Recommendations.State())
	}
	if err := app.Recommendations.Force(core.ForceOptions{On: true, Duration: time.Minute, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if p := page(); len(p.Recommendations) == 0 {
		t.Error("no recommendations while forced on")
	}
}

func TestAppOrder(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, closedAddr(t))
	tests := []struct {
		id       string
		wantCode int
	}{
		{"1", http.StatusOK},
		{"5", http.StatusOK},
		{"6", http.StatusNotFound},
		{"0", http.StatusBadRequest},
		{"-2", http.StatusBadRequest},
		{"one", http.StatusBadRequest},
		{"", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run("id="+tt.id, func(t *testing.T) {
			t.Parallel()
			code, body := app.Order(context.Background(), tt.id)
			if code != tt.wantCode {
				t.Fatalf("Order(%q) = %d %#v, want %d", tt.id, code, body, tt.wantCode)
			}
			if o, ok := body.(OrderPage); code == http.StatusOK && (!ok || strconv.FormatInt(o.ID, 10) != tt.id) {
				t.Errorf("Order(%q) body = %#v, want that order", tt.id, body)
			}
			if _, ok := body.(Error); code != http.StatusOK && !ok {
				t.Errorf("Order(%q) body = %#v, want an Error", tt.id, body)
			}
		})
	}
}

func TestAppStartupPhase(t *testing.T) {
	t.Parallel()
	cfg := Config{Port: 8080, PropagationDelay: time.Millisecond, DrainTimeout: time.Second, MigrationDelay: time.Hour, RedisAddr: closedAddr(t)}
	app, err := New(context.Background(), "test", cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	for _, kind := range []core.Kind{core.Startup, core.Readiness} {
		rep, err := app.Health.Evaluate(context.Background(), kind)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Status != core.StatusUnavailable || rep.Message != "starting" {
			t.Errorf("%v during migrations = %v %q, want unavailable \"starting\"", kind, rep.Status, rep.Message)
		}
	}
	if rep, _ := app.Health.Evaluate(context.Background(), core.Liveness); rep.Status != core.StatusOK {
		t.Errorf("liveness during migrations = %v, want ok", rep.Status)
	}
	if code, body := app.Order(context.Background(), "1"); code != http.StatusServiceUnavailable {
		t.Errorf("Order during migrations = %d %#v, want 503", code, body)
	}
}

func TestChecksFitProbeTimeout(t *testing.T) {
	t.Parallel()
	st, err := OpenStore(0, func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, err := Checks(st, Config{RedisAddr: DefaultRedisAddr})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		// The kubelet's default probe timeout is 1s.
		if c.Timeout <= 0 || c.Timeout >= time.Second {
			t.Errorf("check %q: Timeout %v, want it set and below 1s", c.Name, c.Timeout)
		}
	}
}

func TestNewRejectsBadRedisAddr(t *testing.T) {
	t.Parallel()
	cfg := Config{Port: 8080, PropagationDelay: time.Millisecond, DrainTimeout: time.Second, RedisAddr: "no-port"}
	if _, err := New(context.Background(), "test", cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "REDIS_ADDR") {
		t.Errorf("New with REDIS_ADDR %q: err = %v, want one naming REDIS_ADDR", cfg.RedisAddr, err)
	}
}

func TestPrintTry(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	PrintTry(&b, "chi", Config{Port: 9999}, 4242)
	out := b.String()
	for _, want := range []string{"orders-chi starting on :9999 (pid 4242)", "localhost:9999/startupz", "localhost:9999/readyz?verbose",
		"localhost:9999/livez", "localhost:9999/orders/1", "localhost:9999/slow?ms=", "kill -TERM 4242"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
