// Command demo is a small net/http service that shows the probe contract:
// a critical check and an optional one, probes on :8080 (PORT overrides),
// and graceful shutdown on SIGTERM. `make demo` runs it.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/probekit/probekit/core"
)

func main() {
	if err := run(); err != nil {
		slog.Error("demo", "err", err)
		os.Exit(1)
	}
}

func run() error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	delay, err := envDuration("PROPAGATION_DELAY", 2*time.Second)
	if err != nil {
		return err
	}
	drain, err := envDuration("DRAIN_TIMEOUT", 10*time.Second)
	if err != nil {
		return err
	}
	h, err := core.New(core.Options{Service: "demo", Version: "dev", PropagationDelay: delay, DrainTimeout: drain})
	if err != nil {
		return err
	}
	// A critical check, run in the background every 2s: the demo's own
	// listener answers TCP.
	addr := net.JoinHostPort("127.0.0.1", port)
	if err := h.Register(core.Check{Name: "self-tcp", Interval: 2 * time.Second, Check: func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}}); err != nil {
		return err
	}
	// An optional check that fails: the report is degraded, the pod stays ready.
	if err := h.Register(core.Check{Name: "recommendations", Optional: true, Check: func(ctx context.Context) error {
		return core.Unhealthy("recommendations: upstream not configured", errors.New("RECS_URL unset"))
	}}); err != nil {
		return err
	}
	ctx := context.Background()
	if err := h.Start(ctx); err != nil {
		return err
	}
	defer h.Close()

	mux := http.NewServeMux()
	mux.Handle("/", h.Handler())
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 || ms > 30000 {
			http.Error(w, "ms: want an integer in [0, 30000]", http.StatusBadRequest)
			return
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprintf(w, "slept %dms\n", ms)
	})
	fmt.Printf("demo listening on :%s; try:\n  curl -i localhost:%[1]s/readyz\n  curl localhost:%[1]s/readyz?verbose\n  curl -H 'Accept: application/health+json' localhost:%[1]s/livez\n", port)
	return h.ListenAndServe(ctx, &http.Server{Addr: ":" + port, Handler: h.Drain(mux), ReadHeaderTimeout: 5 * time.Second})
}

func envDuration(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: want a positive duration such as 5s, got %q", name, v)
	}
	return d, nil
}
