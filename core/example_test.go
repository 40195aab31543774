package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/probekit/probekit/core"
)

// The whole integration: a registry, checks, the probe handler, the drain
// middleware and the graceful runner.
func Example() {
	h, err := core.New(core.Options{Service: "orders", Version: "1.4.2"})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = h.Register(core.Check{Name: "postgres", Interval: 5 * time.Second, Check: func(ctx context.Context) error {
		return nil // db.PingContext(ctx)
	}})
	_ = h.Register(core.Check{Name: "redis", Optional: true, Check: func(ctx context.Context) error {
		return nil // PING
	}})

	ctx, cancel := context.WithCancel(context.Background())
	_ = h.Start(ctx)
	defer h.Close()

	mux := http.NewServeMux()
	mux.Handle("/", h.Handler())
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {})
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: h.Drain(mux), ReadHeaderTimeout: 5 * time.Second}

	cancel() // in a real service: SIGTERM
	if err := h.ListenAndServe(ctx, srv); err != nil {
		fmt.Println(err)
	}
}

func ExampleRegistry_Evaluate() {
	h, _ := core.New(core.Options{Service: "orders", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	_ = h.Register(core.Check{Name: "postgres", Check: func(ctx context.Context) error { return nil }})
	_ = h.Register(core.Check{Name: "recommendations", Optional: true, Check: func(ctx context.Context) error {
		return core.Unhealthy("recommendations: connection refused", errors.New("dial tcp 10.0.0.7:80: connect: connection refused"))
	}})
	rep, _ := h.Evaluate(context.Background(), core.Readiness)
	fmt.Println(rep.Status, "-", rep.Message)
	for _, c := range rep.Checks {
		fmt.Printf("%s: %s %q\n", c.Name, c.Status, c.Message)
	}
	// Output:
	// degraded - degraded: recommendations
	// postgres: ok ""
	// recommendations: unavailable "recommendations: connection refused"
}

func ExampleRegistry_Handler() {
	h, _ := core.New(core.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	_ = h.Register(core.Check{Name: "postgres", Check: func(ctx context.Context) error { return nil }})
	_ = h.Register(core.Check{Name: "cache", Check: func(ctx context.Context) error {
		return core.Unhealthy("cache: timeout after 800ms", context.DeadlineExceeded)
	}})
	w := httptest.NewRecorder()
	h.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz?verbose", nil))
	fmt.Print(w.Code, "\n", w.Body.String())
	// Output:
	// 503
	// [-]cache failed: cache: timeout after 800ms
	// [+]postgres ok
	// readyz check failed
}

func ExampleDegraded() {
	h, _ := core.New(core.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	_ = h.Register(core.Check{Name: "pool", Check: func(ctx context.Context) error {
		inUse, max := 19, 20
		if inUse*100/max >= 90 {
			return core.Degraded(fmt.Sprintf("pool %d/%d connections in use", inUse, max), nil)
		}
		return nil
	}})
	rep, _ := h.Evaluate(context.Background(), core.Readiness)
	fmt.Println(rep.Status, h.StatusCode(rep.Status), rep.Checks[0].Message)
	// Output: degraded 200 pool 19/20 connections in use
}

// A preStop or admin handler behind Drain starts the shutdown and answers at
// once; Serve follows the sequence and returns. (Shutdown would wait for the
// handler's own request until the drain timeout.)
func ExampleRegistry_StartShutdown() {
	h, _ := core.New(core.Options{PropagationDelay: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	mux.Handle("/", h.Handler())
	mux.HandleFunc("GET /prestop", func(w http.ResponseWriter, r *http.Request) {
		if err := h.StartShutdown(); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		fmt.Fprintln(w, "shutting down")
	})
	srv := &http.Server{Handler: h.Drain(mux)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	answered := make(chan string, 1)
	go func() { // the kubelet's preStop hook
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Get("http://" + ln.Addr().String() + "/prestop")
		if err != nil {
			answered <- err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		answered <- fmt.Sprintf("%d %s", resp.StatusCode, body)
	}()
	err = h.Serve(context.Background(), srv, ln)
	fmt.Print(<-answered)
	fmt.Println("Serve:", err, "state:", h.State())
	// Output:
	// 200 shutting down
	// Serve: <nil> state: stopped
}

func ExampleRegistry_Shutdown() {
	h, _ := core.New(core.Options{
		PropagationDelay: 10 * time.Millisecond,
		DrainTimeout:     time.Second,
		Logger:           slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: dropTime})),
	})
	h.MarkStarted()
	_ = h.OnShutdown("db", func(ctx context.Context) error { fmt.Println("closing db"); return nil })
	err := h.Shutdown(context.Background(), func(ctx context.Context) error { fmt.Println("listener closed"); return nil })
	fmt.Println("err:", err, "state:", h.State())
	// Output:
	// level=INFO msg="probekit: lifecycle ready" component=lifecycle name="" from=starting to=ready reason="marked started"
	// level=INFO msg="probekit: lifecycle draining" component=lifecycle name="" from=ready to=draining reason="shutdown requested"
	// level=INFO msg="probekit: propagation delay over, closing listeners" delay=10ms in_flight=0
	// listener closed
	// level=INFO msg="probekit: drained, no request in flight"
	// closing db
	// level=INFO msg="probekit: shutdown hook done" hook=db
	// level=INFO msg="probekit: lifecycle stopped" component=lifecycle name="" from=draining to=stopped reason="shutdown complete"
	// err: <nil> state: stopped
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
