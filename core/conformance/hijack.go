package conformance

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// HijackServeFunc serves h through one adapter on ln until ctx ends, like a
// ServeFunc, with the adapter's Drain around a route GET /app/hijack whose
// native handler takes the connection over with the framework's own
// Hijack and calls hijacked with it (or answers 500 if it cannot), and with
// the adapter's listener-taking runner. hijacked returns when the handler
// must: at once for a connection handed to a goroutine, or once it has
// served the connection itself.
type HijackServeFunc func(ctx context.Context, h *core.Registry, ln net.Listener, hijacked func(net.Conn)) error

// Hijack runs, as parallel subtests of t, what Drain documents for hijacked
// connections, which net/http's Shutdown does not track: a handler that
// keeps serving its hijacked connection is counted while it runs, so the
// drain waits for it, and if it outlasts the drain timeout it is an
// abandoned request; a handler that hands the connection to a goroutine and
// returns is not counted, and the runner returns nil while the goroutine
// still runs. Frameworks that cannot hijack (fasthttp) have no such case.
func Hijack(t *testing.T, serve HijackServeFunc) {
	t.Helper()
	for _, tc := range hijackCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runHijack(t, serve, tc.handoff)
		})
	}
	t.Run("drain timeout", func(t *testing.T) {
		t.Parallel()
		runHijackTimeout(t, serve)
	})
}

// NetHTTPHijack is a HijackServeFunc for core's own net/http integration,
// as NetHTTP is a ServeFunc: http.Hijacker on a ServeMux route, h.Drain
// around it and h.Serve as the runner.
func NetHTTPHijack(ctx context.Context, h *core.Registry, ln net.Listener, hijacked func(net.Conn)) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /app/hijack", func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		hijacked(conn)
	})
	srv := &http.Server{Handler: h.Drain(mux), ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	return h.Serve(ctx, srv, ln)
}

// hijackConn is a connection taken over from the server: it waits for
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

func runHijack(t *testing.T, serve HijackServeFunc, handoff bool) {
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler), PropagationDelay: time.Millisecond, DrainTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hc := newHijackConn(t)
	base, shutdown, wait := hijackServer(t, serve, h, hc, handoff)

	got := getAsync(base + "/app/hijack")
	<-hc.entered
	want := int64(1)
	if handoff {
		want = 0
		waitUntil(t, "the handler to return", func() bool { return h.InFlight().Count() == 0 })
	}
	if n := h.InFlight().Count(); n != want {
		t.Errorf("in flight while the hijacked connection is served = %d, want %d", n, want)
	}
	shutdown()
	if handoff {
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
}

// runHijackTimeout: a handler still serving its hijacked connection at the
// drain timeout is an abandoned request.
func runHijackTimeout(t *testing.T, serve HijackServeFunc) {
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler), PropagationDelay: time.Millisecond, DrainTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hc := newHijackConn(t)
	base, shutdown, wait := hijackServer(t, serve, h, hc, false)

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

// hijackServer runs serve on a loopback port with a handler that serves
// the hijacked connection with hc, itself or, with handoff, in a goroutine
// it starts before returning.
func hijackServer(t *testing.T, serve HijackServeFunc, h *core.Registry, hc *hijackConn, handoff bool) (base string, shutdown context.CancelFunc, wait func() error) {
	hijacked := func(conn net.Conn) {
		if handoff {
			go hc.serve(conn) // exits when the test releases it
			return
		}
		hc.serve(conn)
	}
	return serveAsync(t, func(ctx context.Context, ln net.Listener) error { return serve(ctx, h, ln, hijacked) })
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
			return errors.New("the runner did not return 10s after its context ended")
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
