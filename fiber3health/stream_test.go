package fiber3health_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/conformance"
	"github.com/probekit/probekit/fiber3health"
)

// The fiber-specific streaming cases. The shared ones (a stream writer
// counted until it ends, reported when abandoned, released when the client
// hangs up) run in the conformance suite.

// serveStreams serves app through Serve on a loopback port and returns its
// base URL, the function that starts the shutdown, and a function that
// waits for Serve's result. A cleanup stops the server if the test did not.
func serveStreams(t *testing.T, app *fiber.App, h *core.Registry) (base string, shutdown context.CancelFunc, wait func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var served error
	go func() {
		defer close(done)
		served = fiber3health.Serve(ctx, app, ln, h)
	}()
	wait = func() error {
		select {
		case <-done:
			return served
		case <-time.After(10 * time.Second):
			return errors.New("Serve did not return 10s after its context ended")
		}
	}
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + ln.Addr().String(), cancel, wait
}

// getAsync sends GET url in a goroutine of its own; the body (or the
// error) arrives on the returned channel.
func getAsync(url string) <-chan result {
	got := make(chan result, 1)
	go func() {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	return got
}

type result struct {
	body string
	err  error
}

// TestSendStreamCounted checks the body streams other than a stream
// writer: c.SendStream of a reader fasthttp reads after the handler
// returned, with and without a size, behind one Drain or two (one on the
// app, one on a group: each counts, each is released once).
func TestSendStreamCounted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		size   int // SendStream's size, -1 for none
		drains int
	}{
		{"chunked", -1, 1},
		{"sized", len("first\nlast\n"), 1},
		{"two drains", -1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := conformance.MatchRegistry(t, core.Options{PropagationDelay: time.Millisecond, DrainTimeout: 10 * time.Second}, false)
			pr, pw := io.Pipe()
			t.Cleanup(func() { pw.Close() })
			app := newServerApp()
			app.Use(fiber3health.Drain(h), recover.New())
			g := app.Group("/app")
			if tc.drains == 2 {
				g.Use(fiber3health.Drain(h))
			}
			g.Get("/download", func(c fiber.Ctx) error { return c.SendStream(pr, tc.size) })
			base, shutdown, wait := serveStreams(t, app, h)

			got := getAsync(base + "/app/download")
			// fasthttp reads the stream only after the handler returned.
			if _, err := io.WriteString(pw, "first\n"); err != nil {
				t.Fatal(err)
			}
			if n := h.InFlight().Count(); n != int64(tc.drains) {
				t.Errorf("in flight while the stream is read = %d, want %d", n, tc.drains)
			}
			shutdown()
			waitFor(t, "draining", h.Draining)
			if n := h.InFlight().Count(); n != int64(tc.drains) {
				t.Errorf("in flight while draining = %d, want %d", n, tc.drains)
			}
			_, _ = io.WriteString(pw, "last\n")
			pw.Close()
			if r := <-got; r.err != nil || r.body != "first\nlast\n" {
				t.Errorf("GET /app/download = %q, %v; want %q", r.body, r.err, "first\nlast\n")
			}
			if err := wait(); err != nil {
				t.Errorf("Serve = %v, want nil", err)
			}
			if n := h.InFlight().Count(); n != 0 {
				t.Errorf("in flight after Serve = %d, want 0", n)
			}
		})
	}
}

// TestHijackNotCounted checks what Drain documents for fasthttp's Hijack:
// the hijack handler runs after the request handler has returned, on a
// connection the server no longer tracks, so it is not counted and neither
// Drain nor the graceful stop waits for it: Serve returns nil while it
// still runs.
func TestHijackNotCounted(t *testing.T) {
	t.Parallel()
	h := conformance.MatchRegistry(t, core.Options{PropagationDelay: time.Millisecond, DrainTimeout: 10 * time.Second}, false)
	entered, release, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		select { // release the hijack handler if the test failed before
		case <-finished:
		default:
			close(release)
			<-finished
		}
	})
	app := newServerApp()
	app.Use(fiber3health.Drain(h), recover.New())
	app.Get("/app/upgrade", func(c fiber.Ctx) error {
		c.RequestCtx().HijackSetNoResponse(true)
		c.RequestCtx().Hijack(func(conn net.Conn) {
			defer close(finished)
			close(entered)
			<-release
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nhijacked\n")
		})
		return nil
	})
	base, shutdown, wait := serveStreams(t, app, h)

	got := getAsync(base + "/app/upgrade")
	<-entered
	waitFor(t, "the request handler to return", func() bool { return h.InFlight().Count() == 0 })
	shutdown()
	if err := wait(); err != nil {
		t.Errorf("Serve = %v, want nil: a hijacked connection is not counted", err)
	}
	close(release)
	<-finished
	if r := <-got; r.err != nil || r.body != "hijacked\n" {
		t.Errorf("hijacked response = %q, %v; want %q", r.body, r.err, "hijacked\n")
	}
}
