package core_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/probekit/probekit/core"
)

// The standard http.ServeMux needs no adapter: the probe handler is mounted
// on it (per-check paths, ?verbose and ?exclude included), Drain wraps the
// whole mux, and the registry runs the server. Both ways of shutting down
// are shown: a canceled context and StartShutdown from an admin route.
// Each time the request in flight is served to the end.
func ExampleRegistry_Serve_serveMux() {
	for _, how := range []string{"admin route", "cancel"} {
		serveMux(how)
	}
	// Output:
	// GET /readyz/postgres?verbose: 200 [+]postgres ok
	// readyz check passed
	// GET /readyz/redis?verbose: 503 [-]redis degraded: redis: connection refused
	// readyz check failed
	// GET /readyz?verbose&exclude=redis: 200 [+]postgres ok
	// [+]redis excluded: ok
	// readyz check passed
	// GET /livez/nope: 404 unknown livez check "nope"
	// admin route: in flight: 200 order 7
	// admin route: Serve: <nil>
	// cancel: in flight: 200 order 7
	// cancel: Serve: <nil>
}

// serveMux is one run of the ServeMux example, shut down by how.
func serveMux(how string) {
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler), PropagationDelay: time.Nanosecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = h.Close() }()
	_ = h.Register(core.Check{Name: "postgres", Check: func(context.Context) error { return nil }})
	_ = h.Register(core.Check{Name: "redis", Optional: true, Check: func(context.Context) error {
		return core.Unhealthy("redis: connection refused", nil)
	}})

	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", h.Handler()) // /livez /readyz /startupz, /readyz/{check}
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release // a slow request, still in flight when the server's graceful stop begins
		fmt.Fprintf(w, "order %s", r.PathValue("id"))
	})
	mux.HandleFunc("POST /admin/shutdown", func(http.ResponseWriter, *http.Request) {
		_ = h.StartShutdown() // returns at once: Shutdown would wait for this very request
	})
	srv := &http.Server{Handler: h.Drain(mux), ReadHeaderTimeout: 5 * time.Second}
	srv.RegisterOnShutdown(func() { close(release) }) // called as srv.Shutdown begins
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx, srv, ln) }()
	base := "http://" + ln.Addr().String()

	if how == "admin route" { // the probes, once
		for _, path := range []string{"/readyz/postgres?verbose", "/readyz/redis?verbose", "/readyz?verbose&exclude=redis", "/livez/nope"} {
			fmt.Printf("GET %s: %s", path, get(base+path))
		}
	}
	order := make(chan string, 1)
	go func() { order <- get(base + "/orders/7") }()
	<-entered
	switch how {
	case "admin route":
		res, err := http.Post(base+"/admin/shutdown", "", nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		_ = res.Body.Close()
	case "cancel":
		cancel() // in a real service: SIGTERM
	}
	fmt.Printf("%s: in flight: %s", how, <-order)
	fmt.Printf("%s: Serve: %v\n", how, <-served)
}

// get answers a GET's status code and body, one line per body line.
func get(url string) string {
	res, err := http.Get(url)
	if err != nil {
		return err.Error() + "\n"
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return fmt.Sprintf("%d %s\n", res.StatusCode, strings.TrimSpace(string(body)))
}
