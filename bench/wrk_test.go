package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wrkDurationEnv overrides how long each wrk run lasts: `make test` runs it
// for 1 s (the default), `make bench-compare` for longer.
const wrkDurationEnv = "PROBEKIT_WRK_DURATION"

// BenchmarkWrk drives a real loopback server with Debian's wrk (one thread,
// 16 connections): GET /readyz of each library in its caching mode (health-go
// runs its 5 checks on every probe, having no other mode), and an app route
// on net/http bare and behind probekit's Drain. Each iteration is one wrk
// run; req/s, p50-ms, p99-ms and errors are wrk's.
func BenchmarkWrk(b *testing.B) {
	wrk := wrkPath(b)
	for _, l := range libs {
		build := l.cached
		if build == nil {
			build = l.sync
		}
		b.Run("readyz/"+l.name, func(b *testing.B) {
			h := build(b, fiveInstant())
			waitStatus(b, h, http.StatusOK)
			runWrk(b, wrk, h, "/readyz")
		})
	}
	b.Run("app/nethttp-bare", func(b *testing.B) { runWrk(b, wrk, okHandler, appRoute) })
	b.Run("app/nethttp-drain", func(b *testing.B) { runWrk(b, wrk, newRegistry(b).Drain(okHandler), appRoute) })
}

// wrkPath finds wrk; without it the benchmark skips with a message, unless
// CI=true, where it fails: `make test` and `make bench-compare` install it.
func wrkPath(b *testing.B) string {
	b.Helper()
	p, err := exec.LookPath("wrk")
	if err == nil {
		return p
	}
	msg := "wrk not installed (Debian: apt-get install wrk; `make test` and `make bench-compare` install it)"
	if os.Getenv("CI") == "true" {
		b.Fatal(msg)
	}
	b.Skip(msg)
	return ""
}

func wrkDuration(b *testing.B) time.Duration {
	b.Helper()
	v := os.Getenv(wrkDurationEnv)
	if v == "" {
		return time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		b.Fatalf("%s=%q: want a duration of at least 1s", wrkDurationEnv, v)
	}
	return d
}

// runWrk serves h on a loopback listener and runs wrk against target once
// per iteration, reporting the last run.
func runWrk(b *testing.B, wrk string, h http.Handler, target string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	b.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	d := wrkDuration(b)
	url := "http://" + ln.Addr().String() + target
	var res wrkResult
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), d+time.Minute)
		out, err := exec.CommandContext(ctx, wrk, "-t1", "-c16", "-d"+strconv.Itoa(int(d.Seconds()))+"s", "--latency", url).CombinedOutput()
		cancel()
		if err != nil {
			b.Fatalf("wrk: %v\n%s", err, out)
		}
		if res, err = parseWrk(string(out)); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
	}
	b.StopTimer()
	b.ReportMetric(res.rps, "req/s")
	b.ReportMetric(res.p50.Seconds()*1000, "p50-ms")
	b.ReportMetric(res.p99.Seconds()*1000, "p99-ms")
	b.ReportMetric(float64(res.errors), "errors")
}

type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
	errors   int // socket errors and non-2xx/3xx answers
}

var (
	wrkRPS     = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkLatency = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\b`)
	wrkSocket  = regexp.MustCompile(`(?m)^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx  = regexp.MustCompile(`(?m)^\s+Non-2xx or 3xx responses: (\d+)`)
)

// parseWrk reads the summary wrk --latency prints.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk's output")
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, m := range wrkLatency.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(strings.TrimSpace(m[1]))
		r.errors += n
	}
	return r, nil
}
