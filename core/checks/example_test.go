package checks_test

import (
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// newRegistry returns a started registry whose transition log is discarded,
// so that the examples print only what they show.
func newRegistry() *core.Registry {
	h, err := core.New(core.Options{Service: "orders", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	return h
}

// A database checked in the background every 5 seconds, and its pool
// reported degraded when 90% of its connections are busy.
func ExampleSQL() {
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL")) // any database/sql driver
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(20)

	ping, err := checks.SQL(db, checks.SQLOptions{Name: "postgres", Query: "SELECT 1"})
	if err != nil {
		log.Fatal(err)
	}
	pool, err := checks.SQLPool(db, checks.SQLPoolOptions{Name: "postgres"})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "postgres", Check: ping, Interval: 5 * time.Second})
	_ = h.Register(core.Check{Name: "postgres-pool", Check: pool, Interval: 5 * time.Second})
}

// A Redis behind TLS with an ACL user; the password never shows up in
// probe responses or logs.
func ExampleRedis() {
	cache, err := checks.Redis("redis.internal:6380", checks.RedisOptions{
		Name:     "cache",
		Username: "health",
		Password: os.Getenv("REDIS_PASSWORD"),
		TLS:      &tls.Config{MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "cache", Check: cache, Optional: true})
}

// An upstream answering 503 fails the check; the reason names the upstream
// by host only, never by its path or query.
func ExampleHTTP() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer upstream.Close()

	billing, err := checks.HTTP(upstream.URL+"/healthz?key=secret", checks.HTTPOptions{Name: "billing"})
	if err != nil {
		log.Fatal(err)
	}
	err = billing(context.Background())
	// The reason is "billing 127.0.0.1:PORT: status 503 (want 200-299)".
	_, what, _ := strings.Cut(core.Reason(err), ": ")
	fmt.Println(what)
	// Output: status 503 (want 200-299)
}

func ExampleTCP() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := ln.Addr().String()
	nats, err := checks.TCP(addr, checks.TCPOptions{Name: "nats"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening:", nats(context.Background()) == nil)
	ln.Close()
	err = nats(context.Background())
	fmt.Println("closed:", strings.TrimPrefix(core.Reason(err), "nats "+addr+": "))
	// Output:
	// listening: true
	// closed: connection refused
}

func ExampleDNS() {
	resolve, err := checks.DNS("localhost", checks.DNSOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resolve(context.Background()) == nil)
	// Output: true
}

// A worker loop watched by the liveness probe: if it stops calling Beat for
// 30 seconds, liveness fails and the kubelet restarts the container.
func ExampleNewHeartbeat() {
	loop, err := checks.NewHeartbeat("consumer", 30*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "consumer", Check: loop.Check, Kinds: core.Liveness})

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the worker
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			loop.Beat() // one iteration of work done
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	rep, _ := h.Evaluate(context.Background(), core.Liveness)
	fmt.Println(rep.Status)
	stop()
	wg.Wait()
	// Output: ok
}

// Readiness waits for the migrations: the startup probe fails with the
// flag's reason until Done is called.
func ExampleFlag() {
	migrations := checks.NewFlag("migrations pending")
	h := newRegistry()
	_ = h.Register(core.Check{Name: "migrations", Check: migrations.Check, Kinds: core.Startup})

	rep, _ := h.Evaluate(context.Background(), core.Startup)
	fmt.Println(rep.Status, "-", rep.Checks[0].Message)

	migrations.Done() // after the migrations ran
	rep, _ = h.Evaluate(context.Background(), core.Startup)
	fmt.Println(rep.Status)
	// Output:
	// unavailable - migrations pending
	// ok
}

// A soft and a hard limit on one resource: degraded below 5 GiB free,
// unavailable below 1 GiB.
func ExampleDiskSpace() {
	soft, err := checks.DiskSpace(os.TempDir(), 5<<30, checks.LimitOptions{Degraded: true})
	if err != nil {
		log.Fatal(err)
	}
	hard, err := checks.DiskSpace(os.TempDir(), 1<<30, checks.LimitOptions{})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "disk-soft", Check: soft, Interval: time.Minute})
	_ = h.Register(core.Check{Name: "disk-hard", Check: hard, Interval: time.Minute})
}

func ExampleGoroutines() {
	leak, err := checks.Goroutines(10_000, checks.LimitOptions{Degraded: true})
	if err != nil {
		log.Fatal(err)
	}
	heap, err := checks.HeapInUse(1<<30, checks.LimitOptions{})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "goroutines", Check: leak})
	_ = h.Register(core.Check{Name: "heap", Check: heap})
	h.MarkStarted()
	rep, _ := h.Evaluate(context.Background(), core.Readiness)
	fmt.Println(rep.Status)
	// Output: ok
}

// The process's responsiveness as an optional readiness check: degraded
// while the 99th percentile of scheduling latencies over the last 30s is
// above 50ms, failed above 250ms, so that a pod whose goroutines are
// starved (a throttled CPU quota, a runaway loop) says so before its
// requests time out.
func ExampleSchedulerLatency() {
	sched, err := checks.SchedulerLatency(checks.SchedulerLatencyOptions{}) // the defaults: p99, 50ms, 250ms, 30s
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "scheduler", Check: sched, Interval: 2 * time.Second, Optional: true})

	// A process that has just started is responsive:
	fmt.Println(sched(context.Background()))
	// Output:
	// <nil>
}

// A worker pool's job channel: degraded from 80% full, failed when full
// and when the backlog has not gone down for a minute (the workers are
// stuck).
func ExampleQueueChan() {
	jobs := make(chan string, 10)
	backlog, err := checks.QueueChan("emails", jobs, checks.QueueOptions{
		DegradedFraction:    0.8,
		UnavailableFraction: 0.99,
		StuckAfter:          time.Minute,
		StuckUnavailable:    true,
	})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "emails-backlog", Check: backlog, Interval: 5 * time.Second})

	for i := range 9 { // no worker is running: the jobs pile up
		jobs <- fmt.Sprint("mail ", i)
	}
	err = backlog(context.Background())
	fmt.Println(core.Reason(err))
	// Output:
	// queue emails: 9 of 10 waiting (max 80%)
}
