// Command fleet shows a breaker shared by replicas through Redis
// (module breakerredis): run three replicas of this binary and a fake
// payments API, take the API down, and watch every replica's
// /readyz?verbose and log report the same open breaker after failures in
// one of them; bring it back, and one trial closes it everywhere.
//
//	ROLE=payments ADDR=:9000 go run ./fleet &              # the dependency
//	ADDR=:8081 REPLICA=a go run ./fleet &
//	ADDR=:8082 REPLICA=b go run ./fleet &
//	ADDR=:8083 REPLICA=c go run ./fleet &
//	curl -X POST localhost:9000/down
//	for i in 1 2 3 4 5; do curl localhost:8081/pay; done  # 502 ×5: the fleet's breaker opens
//	curl 'localhost:8083/readyz?verbose'                    # [-]payments degraded: open since …
//	curl -X POST localhost:9000/up; sleep 10; curl localhost:8082/pay   # the one trial: closed everywhere
//
// Settings come from the environment: ADDR (default :8080), REPLICA (the
// instance name in reports), REDIS_ADDR (127.0.0.1:6379), PAYMENTS_URL
// (http://127.0.0.1:9000), OPEN_TIMEOUT (10s), REDIS_PREFIX (fleet-demo:).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/probekit/probekit/core"
	"github.com/redis/go-redis/v9"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

// run is the whole program: the payments API when ROLE=payments, else a
// replica. It returns when ctx is done.
func run(ctx context.Context, getenv func(string) string) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	addr := env("ADDR", ":8080")
	if getenv("ROLE") == "payments" {
		return servePayments(ctx, addr)
	}
	openTimeout, err := time.ParseDuration(env("OPEN_TIMEOUT", "10s"))
	if err != nil {
		return fmt.Errorf("OPEN_TIMEOUT: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("replica", env("REPLICA", "?"))
	h, err := core.New(core.Options{
		Service: "fleet", Instance: env("REPLICA", ""), Logger: log,
		PropagationDelay: time.Millisecond, // a demo: stop at once
	})
	if err != nil {
		return err
	}
	rdb := redis.NewClient(&redis.Options{Addr: env("REDIS_ADDR", "127.0.0.1:6379"), ContextTimeoutEnabled: true})
	defer rdb.Close()
	fleet, err := breakerredis.New(rdb, "payments", breaker.Settings{
		Notify: h.Notify, OpenTimeout: openTimeout, Retry: breaker.Retry{MaxAttempts: 1},
	}, breakerredis.Options{Prefix: env("REDIS_PREFIX", "fleet-demo:"), Logger: log})
	if err != nil {
		return err
	}
	defer fleet.Close()
	payments := fleet.Breaker()
	// Optional: an open breaker degrades readiness rather than failing it;
	// the replica still serves what does not need payments.
	if err := h.Register(core.Check{Name: "payments", Check: payments.Check(), Optional: true}); err != nil {
		return err
	}
	url := env("PAYMENTS_URL", "http://127.0.0.1:9000") + "/pay"
	client := &http.Client{Timeout: 2 * time.Second}
	mux := http.NewServeMux()
	mux.Handle("/", h.Handler())
	mux.HandleFunc("GET /pay", func(w http.ResponseWriter, r *http.Request) {
		err := payments.Do(r.Context(), func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := client.Do(req)
			if err != nil {
				return core.Unhealthy("payments unreachable", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return core.Unhealthy(fmt.Sprintf("payments answered %d", resp.StatusCode), nil)
			}
			return nil
		})
		if err != nil {
			http.Error(w, core.Reason(err), http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, "paid")
	})
	if err := h.Start(ctx); err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: h.Drain(mux), ReadHeaderTimeout: 5 * time.Second}
	return h.ListenAndServe(ctx, srv)
}

// servePayments is the dependency: GET /pay answers 200 while up, 503 while
// down; POST /down and POST /up switch it.
func servePayments(ctx context.Context, addr string) error {
	var down atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pay", func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("POST /down", func(http.ResponseWriter, *http.Request) { down.Store(true) })
	mux.HandleFunc("POST /up", func(http.ResponseWriter, *http.Request) { down.Store(false) })
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}
