package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

const (
	// hungTimeout is the check timeout every library is given.
	hungTimeout = 200 * time.Millisecond
	// kubeletTimeout is the kubelet's default probe timeout
	// (timeoutSeconds: 1): a probe answered later counts as failed.
	kubeletTimeout = time.Second
)

// hang is a dependency call that never returns until its ctx ends.
func hang(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// BenchmarkHung: each iteration is one probe, over a loopback server, of an
// instance whose one check hangs until its context ends, with a 200 ms check
// timeout. answered-% is the share of probes answered within the kubelet's
// 1 s timeout, max-ms the slowest answer, goroutines-left how many
// goroutines remained once the server and the library were shut down and
// 2 s had passed. Each library runs checks on probes where it can
// (alexliesenfeld with its cache off); go-sundheit in its background mode.
func BenchmarkHung(b *testing.B) {
	for _, l := range libs {
		build := l.sync
		if build == nil {
			build = l.cached
		}
		b.Run(l.name, func(b *testing.B) {
			before := runtime.NumGoroutine()
			s := &scope{TB: b}
			srv := httptest.NewServer(build(s, []check{{name: "dep", fn: hang, timeout: hungTimeout}}))
			client := &http.Client{Timeout: kubeletTimeout}
			var answered int
			var slowest time.Duration
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				resp, err := client.Get(srv.URL + "/readyz")
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					answered++
				}
				slowest = max(slowest, time.Since(start))
			}
			b.StopTimer()
			client.CloseIdleConnections()
			srv.Close()
			s.close()
			b.ReportMetric(100*float64(answered)/float64(b.N), "answered-%")
			b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
			b.ReportMetric(float64(goroutinesLeft(before)), "goroutines-left")
		})
	}
}

// goroutinesLeft waits up to 2 s for the goroutine count to fall back to
// before and returns how many more there still are.
func goroutinesLeft(before int) int {
	deadline := time.Now().Add(2 * time.Second)
	for {
		n := runtime.NumGoroutine() - before
		if n <= 0 || time.Now().After(deadline) {
			return max(n, 0)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
