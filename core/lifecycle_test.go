package core

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestShutdownSequence(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: 50 * time.Millisecond, DrainTimeout: 2 * time.Second})
	_ = r.Register(Check{Name: "loop", Kinds: Liveness, Check: ok})
	r.MarkStarted()
	h := r.Handler()

	var mu sync.Mutex
	var steps []string
	step := func(s string) { mu.Lock(); steps = append(steps, s); mu.Unlock() }
	_ = r.OnShutdown("db", func(context.Context) error { step("hook db"); return nil })
	_ = r.OnShutdown("cache", func(context.Context) error { step("hook cache"); return errors.New("flush failed") })
	_ = r.OnShutdown("panicky", func(context.Context) error { step("hook panicky"); panic("oops") })

	r.InFlight().Enter() // a request still being served
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		done <- r.Shutdown(context.Background(), func(ctx context.Context) error {
			step("stop")
			if time.Since(start) < 50*time.Millisecond {
				t.Error("stop called before the propagation delay")
			}
			return nil
		})
	}()
	waitFor(t, func() bool { return r.State() == StateDraining })
	w := serve(h, "GET", "/readyz")
	if w.Code != 503 || !strings.Contains(w.Body.String(), `"message":"shutting down"`) {
		t.Fatalf("readyz while draining: %d %s", w.Code, w.Body)
	}
	if w := serve(h, "GET", "/readyz?verbose"); !strings.Contains(w.Body.String(), "[-]shutdown failed: shutting down\nreadyz check failed\n") {
		t.Fatalf("verbose while draining: %s", w.Body)
	}
	if w := serve(h, "GET", "/livez"); w.Code != 200 {
		t.Fatalf("livez while draining: %d", w.Code)
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(steps) == 1 })
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned with a request in flight: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	r.InFlight().Leave()
	err := <-done
	if r.State() != StateStopped {
		t.Fatalf("state = %v", r.State())
	}
	want := []string{"stop", "hook panicky", "hook cache", "hook db"}
	if strings.Join(steps, ",") != strings.Join(want, ",") {
		t.Fatalf("steps = %v, want %v", steps, want)
	}
	if err == nil || !strings.Contains(err.Error(), `"cache": flush failed`) || !strings.Contains(err.Error(), `"panicky": panic: oops`) {
		t.Fatalf("Shutdown error = %v, want both hook errors", err)
	}
	if err := r.Shutdown(context.Background(), nil); err == nil {
		t.Fatal("a second Shutdown succeeded")
	}
}

func TestShutdownDrainTimeout(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond, DrainTimeout: 50 * time.Millisecond})
	r.InFlight().Enter()
	r.InFlight().Enter()
	defer func() { r.InFlight().Leave(); r.InFlight().Leave() }()
	start := time.Now()
	err := r.Shutdown(context.Background(), nil)
	var dte *DrainTimeoutError
	if !errors.As(err, &dte) || !errors.Is(err, ErrDrainTimeout) || dte.Abandoned != 2 {
		t.Fatalf("Shutdown = %v, want a DrainTimeoutError with 2 abandoned", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("drain timeout of 50ms held shutdown for %v", d)
	}
}

func TestShutdownContextCutsWaits(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Hour, DrainTimeout: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	hookCtxErr := make(chan error, 1)
	_ = r.OnShutdown("h", func(ctx context.Context) error { hookCtxErr <- ctx.Err(); return nil })
	r.InFlight().Enter()
	defer r.InFlight().Leave()
	if err := r.Shutdown(ctx, nil); !errors.Is(err, ErrDrainTimeout) {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := <-hookCtxErr; err == nil {
		t.Fatal("hooks got a live context after the shutdown context ended")
	}
}

// A drain cut short says so, after how long and why, not "drain timeout
// after" the configured hour.
func TestShutdownCutShortSaysWhy(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Hour, DrainTimeout: time.Hour})
	why := errors.New("second signal")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(why)
	r.InFlight().Enter()
	defer r.InFlight().Leave()
	err := r.Shutdown(ctx, nil)
	var dte *DrainTimeoutError
	if !errors.As(err, &dte) || !errors.Is(err, ErrDrainTimeout) || !errors.Is(err, why) {
		t.Fatalf("Shutdown = %v, want a DrainTimeoutError caused by %v", err, why)
	}
	if msg := err.Error(); !strings.Contains(msg, "drain cut short after") || !strings.Contains(msg, "(second signal)") || strings.Contains(msg, "1h0m0s") {
		t.Fatalf("Shutdown = %q, want what happened, not the configured timeout", msg)
	}
}

// A graceful stop that runs out of time is an abandoned drain even when the
// in-flight counter is at zero (a stream the drain middleware does not
// count, say).
func TestShutdownStopTimeoutReported(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond, DrainTimeout: 20 * time.Millisecond})
	stop := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	err := r.Shutdown(context.Background(), stop)
	var dte *DrainTimeoutError
	if !errors.As(err, &dte) || !dte.StopTimedOut || dte.Abandoned != 0 || dte.Cause != nil {
		t.Fatalf("Shutdown = %v, want a DrainTimeoutError for the stop that timed out", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "graceful stop did not finish") {
		t.Fatalf("Shutdown = %q, want it to say the graceful stop did not finish", msg)
	}
}

func TestInFlightWait(t *testing.T) {
	t.Parallel()
	var f InFlight
	if err := f.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		f.Enter()
	}
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); time.Sleep(time.Millisecond); f.Leave() }()
	}
	if err := f.Wait(context.Background()); err != nil || f.Count() != 0 {
		t.Fatalf("Wait = %v, count %d", err, f.Count())
	}
	wg.Wait()
}

func TestDrainMiddleware(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Millisecond})
	r.MountedAt("/internal")
	r.MountedAt("") // and at the root
	var seen int64
	app := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		seen = r.InFlight().Count()
		if req.URL.Path == "/panic" {
			panic("handler bug")
		}
	})
	h := r.Drain(app)
	for path, want := range map[string]int64{"/orders": 1, "/readyz": 0, "/internal/livez": 0} {
		serve(h, "GET", path)
		if seen != want {
			t.Errorf("%s: in-flight during the request = %d, want %d", path, seen, want)
		}
	}
	func() {
		defer func() { _ = recover() }()
		serve(h, "GET", "/panic")
	}()
	if n := r.InFlight().Count(); n != 0 {
		t.Fatalf("in-flight after a panic = %d", n)
	}
	if w := serve(h, "GET", "/orders"); w.Header().Get("Connection") != "" {
		t.Fatal("Connection: close before draining")
	}
	_ = r.Shutdown(context.Background(), nil)
	if w := serve(h, "GET", "/orders"); w.Header().Get("Connection") != "close" {
		t.Fatal("no Connection: close while draining")
	}
}

func TestServeGraceful(t *testing.T) {
	t.Parallel()
	// The delay must hold two fresh-connection requests even under -race on
	// a loaded machine.
	r := newTestRegistry(t, Options{PropagationDelay: time.Second, DrainTimeout: 2 * time.Second})
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", r.Handler())
	mux.HandleFunc("/slow", func(w http.ResponseWriter, _ *http.Request) { <-release; _, _ = io.WriteString(w, "done") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() {
		runErr <- r.Serve(ctx, &http.Server{Handler: r.Drain(mux), ReadHeaderTimeout: time.Second}, ln)
	}()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	get := func(path string) (int, string, error) {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	waitFor(t, func() bool { c, _, _ := get("/readyz"); return c == 200 })
	slow := make(chan string, 1)
	go func() { _, body, err := get("/slow"); slow <- body + errString(err) }()
	waitFor(t, func() bool { return r.InFlight().Count() == 1 })
	cancel()
	waitFor(t, func() bool { return r.Draining() })
	if c, _, _ := get("/readyz"); c != 503 {
		t.Fatalf("readyz during the propagation delay = %d", c)
	}
	if c, _, _ := get("/livez"); c != 200 {
		t.Fatalf("livez during the propagation delay = %d", c)
	}
	waitFor(t, func() bool { _, _, err := get("/livez"); return err != nil }) // listener closed
	close(release)
	if got := <-slow; got != "done" {
		t.Fatalf("in-flight request got %q", got)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("Serve = %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRunReturnsServeError(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	boom := errors.New("address in use")
	err := r.Run(context.Background(), func() error { return boom }, func(context.Context) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v", err)
	}
	if r.State() != StateStopped {
		t.Fatalf("state = %v", r.State())
	}
	if err := r.ListenAndServe(context.Background(), &http.Server{Addr: "256.0.0.1:bad"}); err == nil {
		t.Fatal("ListenAndServe on a bad address succeeded")
	}
}
