package echohealth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/echohealth"
)

// Streamed responses (c.Response().Flush) are covered by the conformance
// suite. What follows is the part net/http does not do for Drain: a
// hijacked connection.

// hijackConn is a connection taken over from net/http: it waits for
// release, writes a complete HTTP response itself and closes.
type hijackConn struct {
	entered, release, finished chan struct{}
}

func newHijackConn(t *testing.T) *hijackConn {
	hc := &hijackConn{entered: make(chan struct{}), release: make(chan struct{}), finished: make(chan struct{})}
	t.Cleanup(func() {
		select { // let it finish if the test failed before releasing it
		case <-hc.release:
		default:
			close(hc.release)
		}
		select {
		case <-hc.finished:
		case <-hc.entered: // entered but not finished: wait for it
			<-hc.finished
		default: // never started
		}
	})
	return hc
}

// serve is the code that owns the connection after Hijack.
func (hc *hijackConn) serve(conn net.Conn) {
	defer close(hc.finished)
	defer conn.Close()
	close(hc.entered)
	<-hc.release
	_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nhijacked\n")
}

// hijackCase is one way of handling a hijacked connection.
type hijackCase struct {
	name string
	// handoff: the handler starts a goroutine with the connection and
	// returns, as a websocket library's upgrade may; otherwise the handler
	// serves the connection itself until it is done.
	handoff bool
}

var hijackCases = []hijackCase{
	{"served inside the handler", false},
	{"handed to a goroutine", true},
}

// TestDrainHijack checks what Drain documents for hijacked connections:
// net/http's Shutdown does not track them, but a handler that keeps serving
// its hijacked connection is counted while it runs, so the drain waits for
// it; a handler that hands the connection to a goroutine and returns is
// not counted, and Serve returns nil while the goroutine still runs.
func TestDrainHijack(t *testing.T) {
	t.Parallel()
	for _, tc := range hijackCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler), PropagationDelay: time.Millisecond, DrainTimeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			hc := newHijackConn(t)
			base, shutdown, wait := hijackServer(t, h, hc, tc.handoff)

			got := getAsync(base + "/app/hijack")
			<-hc.entered
			want := int64(1)
			if tc.handoff {
				want = 0
				waitUntil(t, "the handler to return", func() bool { return h.InFlight().Count() == 0 })
			}
			if n := h.InFlight().Count(); n != want {
				t.Errorf("in flight while the hijacked connection is served = %d, want %d", n, want)
			}
			shutdown()
			if tc.handoff {
				if err := wait(); err != nil {
					t.Errorf("Serve = %v, want nil: a handed-off connection is not counted", err)
				}
			} else {
				waitUntil(t, "the listener to close", func() bool {
					c, err := net.Dial("tcp", base[len("http://"):])
					if err == nil {
						c.Close()
					}
					return err != nil
				})
				if n := h.InFlight().Count(); n != 1 {
					t.Errorf("in flight while draining = %d, want 1", n)
				}
			}
			close(hc.release)
			if r := <-got; r.err != nil || r.body != "hijacked\n" {
				t.Errorf("hijacked response = %q, %v; want %q", r.body, r.err, "hijacked\n")
			}
			if err := wait(); err != nil {
				t.Errorf("Serve = %v, want nil: the hijacked connection ended within the drain timeout", err)
			}
		})
	}
}

// TestDrainHijackTimeout: a handler still serving its hijacked connection
// at the drain timeout is an abandoned request.
func TestDrainHijackTimeout(t *testing.T) {
	t.Parallel()
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler), PropagationDelay: time.Millisecond, DrainTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hc := newHijackConn(t)
	base, shutdown, wait := hijackServer(t, h, hc, false)

	got := getAsync(base + "/app/hijack")
	<-hc.entered
	shutdown()
	if err := wait(); !errors.Is(err, core.ErrDrainTimeout) {
		t.Errorf("Serve = %v, want an error wrapping core.ErrDrainTimeout", err)
	}
	close(hc.release)
	<-got
	waitUntil(t, "the abandoned handler to return", func() bool { return h.InFlight().Count() == 0 })
}

// hijackServer serves GET /app/hijack on an echo instance behind Drain,
// through Serve on a loopback port: the handler hijacks the connection with
// c.Response().Hijack and serves it with hc, itself or, with handoff, in a
// goroutine it starts before returning.
func hijackServer(t *testing.T, h *core.Registry, hc *hijackConn, handoff bool) (base string, shutdown context.CancelFunc, wait func() error) {
	e := echo.New()
	e.Use(echohealth.Drain(h))
	e.GET("/app/hijack", func(c echo.Context) error {
		conn, _, err := c.Response().Hijack()
		if err != nil {
			return err
		}
		if handoff {
			go hc.serve(conn) // exits when the test releases it
			return nil
		}
		hc.serve(conn)
		return nil
	})
	return serveAsync(t, func(ctx context.Context, ln net.Listener) error { return echohealth.Serve(ctx, e, ln, h) })
}

// serveAsync runs serve on a loopback port. It returns the base URL, the
// function that starts the shutdown and one that waits for serve's result;
// a cleanup stops the server if the test did not.
func serveAsync(t *testing.T, serve func(context.Context, net.Listener) error) (base string, shutdown context.CancelFunc, wait func() error) {
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
		served = serve(ctx, ln)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	wait = func() error {
		select {
		case <-done:
			return served
		case <-time.After(10 * time.Second):
			return errors.New("Serve did not return 10s after its context ended")
		}
	}
	return "http://" + ln.Addr().String(), cancel, wait
}

// getAsync sends GET url in a goroutine of its own; the body (or the
// error) arrives on the returned channel.
func getAsync(url string) <-chan getResult {
	got := make(chan getResult, 1)
	go func() {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
		resp, err := c.Get(url)
		if err != nil {
			got <- getResult{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- getResult{string(b), err}
	}()
	return got
}

type getResult struct {
	body string
	err  error
}

// waitUntil polls cond until it holds, failing the test after 10s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
