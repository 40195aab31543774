package core

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// contractRegistry has a critical readiness check, an optional failing one,
// a liveness check and a startup check.
func contractRegistry(t *testing.T, opts Options) *Registry {
	t.Helper()
	r := newTestRegistry(t, opts)
	for _, c := range []Check{
		{Name: "postgres", Check: ok},
		{Name: "redis", Optional: true, Check: func(context.Context) error {
			return errors.New("dial redis://:s3cret@10.1.2.3:6379: connection refused")
		}},
		{Name: "loop", Kinds: Liveness, Check: ok},
		{Name: "migrations", Kinds: Startup, Check: ok},
	} {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func serve(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestHandlerContract(t *testing.T) {
	t.Parallel()
	r := contractRegistry(t, Options{Service: "orders", Version: "1.2.3", Instance: "pod-1"})
	h := r.Handler()
	tests := []struct {
		method, target, accept string
		code                   int
		contentType            string
		body                   []string // substrings
		notBody                []string
	}{
		{"GET", "/readyz", "", 200, "application/json", []string{`"status":"degraded"`, `"service":"orders"`, `"version":"1.2.3"`, `"instance":"pod-1"`, `"postgres":{"status":"ok"`, `"critical":false`}, []string{"s3cret", "10.1.2.3"}},
		{"GET", "/ready", "", 200, "application/json", []string{`"status":"degraded"`}, nil},
		{"GET", "/livez", "", 200, "application/json", []string{`"loop":{"status":"ok"`}, []string{"postgres"}},
		{"GET", "/healthz", "", 200, "application/json", []string{`"loop"`}, nil},
		{"GET", "/startupz", "", 200, "application/json", []string{`"migrations"`}, nil},
		{"GET", "/readyz/postgres", "", 200, "application/json", []string{`"postgres"`}, []string{"redis"}},
		{"GET", "/readyz/redis", "", 503, "application/json", []string{`"message":"connection refused"`}, []string{"s3cret"}},
		{"GET", "/livez/postgres", "", 404, "text/plain; charset=utf-8", []string{`unknown livez check "postgres"`}, nil},
		{"GET", "/readyz/nope", "", 404, "text/plain; charset=utf-8", nil, nil},
		{"GET", "/readyz/a/b", "", 404, "text/plain; charset=utf-8", nil, nil},
		{"GET", "/metrics", "", 404, "text/plain; charset=utf-8", nil, nil},
		{"GET", "/readyz?verbose", "", 200, "text/plain; charset=utf-8", []string{"[+]postgres ok\n", "[-]redis degraded: connection refused\n", "readyz check passed\n"}, nil},
		{"GET", "/readyz?verbose=false", "", 200, "application/json", nil, nil},
		{"GET", "/readyz?verbose=maybe", "", 400, "text/plain; charset=utf-8", []string{"verbose"}, nil},
		{"GET", "/readyz?exclude=redis", "", 200, "application/json", []string{`"status":"ok"`}, []string{"redis"}},
		{"GET", "/readyz?exclude=redis&exclude=postgres&foo=bar", "", 200, "application/json", []string{`"checks":{}`}, nil},
		{"GET", "/readyz?exclude=nope", "", 400, "text/plain; charset=utf-8", []string{`exclude: "nope" is not a readyz check`}, nil},
		{"GET", "/readyz?exclude=", "", 400, "text/plain; charset=utf-8", []string{"empty check name"}, nil},
		{"GET", "/readyz?exclude=%zz", "", 400, "text/plain; charset=utf-8", []string{"malformed"}, nil},
		{"GET", "/readyz?%zz=1", "", 200, "application/json", nil, nil},
		{"GET", "/readyz", "text/html, Application/Health+JSON;q=0.9", 200, "application/health+json", nil, nil},
		{"GET", "/readyz", "application/health+json;q=0, application/json", 200, "application/json", nil, nil},
		{"GET", "/readyz?unknown=1", "", 200, "application/json", nil, nil},
		{"GET", "/readyz", "application/health+json", 200, "application/health+json", []string{`"status":"warn"`, `"redis:responseTime":[{"componentId":"redis"`, `"observedUnit":"ms"`, `"status":"fail"`}, nil},
		{"HEAD", "/readyz", "", 200, "application/json", nil, nil},
		{"POST", "/readyz", "", 405, "text/plain; charset=utf-8", []string{"method not allowed"}, nil},
		{"DELETE", "/livez/loop", "", 405, "text/plain; charset=utf-8", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target+" "+tt.accept, func(t *testing.T) {
			w := serve(h, tt.method, tt.target, "Accept", tt.accept)
			body := w.Body.String()
			if w.Code != tt.code {
				t.Fatalf("code = %d, want %d; body %s", w.Code, tt.code, body)
			}
			if got := w.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if tt.code != 404 || strings.HasPrefix(tt.target, "/readyz") || strings.HasPrefix(tt.target, "/livez") {
				if got := w.Header().Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control = %q", got)
				}
			}
			if tt.code == 405 && w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q", w.Header().Get("Allow"))
			}
			if tt.method == "HEAD" && body != "" {
				t.Errorf("HEAD has a body: %q", body)
			}
			for _, s := range tt.body {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tt.notBody {
				if strings.Contains(body, s) {
					t.Errorf("body has %q:\n%s", s, body)
				}
			}
			if strings.Contains(tt.contentType, "json") && tt.method == "GET" {
				var v map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
					t.Errorf("invalid JSON: %v\n%s", err, body)
				}
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	t.Parallel()
	r := contractRegistry(t, Options{Service: "orders", Version: "v1"})
	w := serve(r.Handler(), "GET", "/readyz")
	var got struct {
		Status, Message, Timestamp, Service, Version, Instance string
		Checks                                                 map[string]struct {
			Status              string   `json:"status"`
			Message             string   `json:"message"`
			DurationMS          *float64 `json:"duration_ms"`
			LastSuccess         *string  `json:"last_success"`
			ConsecutiveFailures *int     `json:"consecutive_failures"`
			Critical            *bool    `json:"critical"`
		}
	}
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	ts, err := time.Parse(time.RFC3339, got.Timestamp)
	if err != nil || ts.Location() != time.UTC || time.Since(ts) > time.Minute {
		t.Fatalf("timestamp %q: %v", got.Timestamp, err)
	}
	pg, redis := got.Checks["postgres"], got.Checks["redis"]
	if pg.Status != "ok" || pg.LastSuccess == nil || pg.DurationMS == nil || !*pg.Critical || *pg.ConsecutiveFailures != 0 {
		t.Fatalf("postgres = %+v", pg)
	}
	if redis.Status != "unavailable" || redis.LastSuccess != nil || *redis.Critical || *redis.ConsecutiveFailures != 1 {
		t.Fatalf("redis = %+v", redis)
	}
	if got.Status != "degraded" || got.Message != "degraded: redis" || got.Instance == "" {
		t.Fatalf("report = %+v", got)
	}
}

func TestExposeErrors(t *testing.T) {
	t.Parallel()
	r := contractRegistry(t, Options{ExposeErrors: true})
	body := serve(r.Handler(), "GET", "/readyz").Body.String()
	if !strings.Contains(body, "s3cret") {
		t.Fatalf("ExposeErrors did not show the raw error:\n%s", body)
	}
}

func TestVerboseFailure(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "postgres", Check: func(context.Context) error { return errors.New("secret") }})
	_ = r.Register(Check{Name: "cache", Check: func(context.Context) error { return Unhealthy("cache: timeout after 800ms", nil) }})
	w := serve(r.Handler(), "GET", "/readyz?verbose=1")
	want := "[-]cache failed: cache: timeout after 800ms\n[-]postgres failed: reason withheld\nreadyz check failed\n"
	if w.Code != 503 || w.Body.String() != want {
		t.Fatalf("got %d\n%s\nwant 503\n%s", w.Code, w.Body.String(), want)
	}
}

func TestStartupGatesReadiness(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var migrated atomic.Bool
	_ = r.Register(Check{Name: "migrations", Kinds: Startup, Check: func(context.Context) error {
		if !migrated.Load() {
			return Unhealthy("migrations pending", nil)
		}
		return nil
	}})
	_ = r.Register(Check{Name: "db", Check: ok})
	h := r.Handler()
	for _, path := range []string{"/readyz", "/startupz"} {
		w := serve(h, "GET", path)
		if w.Code != 503 || !strings.Contains(w.Body.String(), `"message":"starting"`) {
			t.Fatalf("%s while starting: %d %s", path, w.Code, w.Body)
		}
	}
	if w := serve(h, "GET", "/livez"); w.Code != 200 {
		t.Fatalf("liveness while starting: %d", w.Code)
	}
	migrated.Store(true)
	if w := serve(h, "GET", "/readyz"); w.Code != 200 || !strings.Contains(w.Body.String(), `"db"`) {
		t.Fatalf("readyz after startup: %d %s", w.Code, w.Body)
	}
	if r.State() != StateReady {
		t.Fatalf("state = %v", r.State())
	}
	migrated.Store(false) // started is a latch: startup checks no longer gate readiness
	if w := serve(h, "GET", "/readyz"); w.Code != 200 {
		t.Fatalf("readyz after a later startup failure: %d", w.Code)
	}
}

func TestMarkStarted(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	_ = r.Register(Check{Name: "never", Kinds: Startup, Check: func(context.Context) error { return errors.New("no") }})
	if w := serve(r.Handler(), "GET", "/readyz"); w.Code != 503 {
		t.Fatalf("readyz = %d", w.Code)
	}
	r.MarkStarted()
	if w := serve(r.Handler(), "GET", "/readyz"); w.Code != 200 {
		t.Fatalf("readyz after MarkStarted = %d", w.Code)
	}
}

func TestFastPathRerendersOnChange(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	var failing atomic.Bool
	var calls atomic.Int32
	_ = r.Register(Check{Name: "bg", Interval: 5 * time.Millisecond, Check: func(context.Context) error {
		calls.Add(1)
		if failing.Load() {
			return errors.New("down")
		}
		return nil
	}})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := r.Handler()
	waitFor(t, func() bool { return serve(h, "GET", "/readyz").Code == 200 })
	failing.Store(true)
	waitFor(t, func() bool { return serve(h, "GET", "/readyz").Code == 503 })
	_ = r.Close()

	// With the schedulers stopped, nothing changes: probes get the very
	// same pre-rendered bytes and run nothing.
	n := calls.Load()
	a := r.Probe(context.Background(), ProbeRequest{Method: "GET", Kind: Readiness})
	b := r.Probe(context.Background(), ProbeRequest{Method: "GET", Kind: Readiness})
	if &a.Body[0] != &b.Body[0] || calls.Load() != n {
		t.Fatal("the fast path re-rendered or ran a check without a change")
	}
	r.MarkStarted() // no-op: already ready, no change
	if c := r.Probe(context.Background(), ProbeRequest{Method: "GET", Kind: Readiness}); &c.Body[0] != &a.Body[0] {
		t.Fatal("re-rendered without a change")
	}
}

func TestIsProbePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mounts []string
		want   map[string]bool
	}{
		{"nothing recorded: the root", nil, map[string]bool{
			"/readyz": true, "/ready": true, "/livez/db": true, "/healthz/": true, "/startupz": true,
			"/internal/readyz": false, "/readyzz": false, "/orders": false, "/readyz/a/b": false, "/": false,
		}},
		{"a prefix only", []string{"/internal/"}, map[string]bool{
			"/internal/readyz": true, "/internal/livez/x": true,
			"/readyz": false, "/ready": false, "/other/readyz": false,
		}},
		{"a prefix and the root", []string{"/internal", "/"}, map[string]bool{
			"/internal/readyz": true, "/readyz": true, "/healthz": true, "/orders": false,
		}},
		// IsProbePath turns a path down by the byte after its slash when no
		// mount point allows it: each mount point must add its own.
		{"prefixes of different first letters", []string{"/internal", "/Ops", "/2/x", "//double"}, map[string]bool{
			"/internal/readyz": true, "/Ops/livez": true, "/2/x/startupz/db": true, "//double/ready": true,
			"/ops/livez": false, "/readyz": false, "/2/readyz": false, "/x/readyz": false, "/double/ready": false,
		}},
		{"the root recorded after a prefix", []string{"/internal", ""}, map[string]bool{
			"/internal/readyz": true, "/readyz": true, "/livez": true, "/startupz": true, "/healthz": true, "/ready": true,
			"/internal": false, "/intern": false,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRegistry(t, Options{})
			for _, m := range tt.mounts {
				r.MountedAt(m)
			}
			for path, want := range tt.want {
				if got := r.IsProbePath(path); got != want {
					t.Errorf("IsProbePath(%q) = %v, want %v", path, got, want)
				}
			}
		})
	}
}

func TestNilRegistry(t *testing.T) {
	t.Parallel()
	var r *Registry
	r.MountedAt("/internal")
	if !r.IsProbePath("/readyz") || r.IsProbePath("/internal/readyz") || r.IsProbePath("/orders") {
		t.Fatal("a nil registry's probe paths are not the root's")
	}
	w := serve(r.Drain(r.Handler()), "GET", "/readyz")
	if w.Code != 500 || w.Body.String() != "probekit: nil registry\n" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("nil registry probe: %d %q", w.Code, w.Body)
	}
	if w := serve(r.Drain(http.NotFoundHandler()), "GET", "/orders"); w.Code != 404 || r.Draining() {
		t.Fatalf("nil registry drain: %d", w.Code)
	}
}

func TestHandlerRecordsItsMount(t *testing.T) {
	t.Parallel()
	t.Run("prefix only", func(t *testing.T) {
		t.Parallel()
		r := newTestRegistry(t, Options{})
		_ = r.Register(Check{Name: "db", Check: ok})
		mux := http.NewServeMux()
		mux.Handle("/internal/", r.HandlerAt("/internal/"))
		if w := serve(mux, "GET", "/internal/readyz/db"); w.Code != 200 {
			t.Fatalf("GET /internal/readyz/db = %d %s", w.Code, w.Body)
		}
		if !r.IsProbePath("/internal/livez") || r.IsProbePath("/livez") {
			t.Fatal("HandlerAt did not record exactly its prefix")
		}
	})
	t.Run("root and an adapter's prefix", func(t *testing.T) {
		t.Parallel()
		// An admin port serving Handler at the root, the app port serving
		// the probes under /internal through an adapter.
		r := newTestRegistry(t, Options{})
		_ = r.Handler()
		r.MountedAt("/internal")
		for _, p := range []string{"/livez", "/internal/livez"} {
			if !r.IsProbePath(p) {
				t.Errorf("IsProbePath(%q) = false", p)
			}
		}
	})
}
