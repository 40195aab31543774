package conformance

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// runReturnTimeout bounds how long the suite waits for a ServeFunc to return
// after its shutdown should have ended. It only matters when an adapter is
// broken (hangs); a working one returns in milliseconds.
const runReturnTimeout = 30 * time.Second

// newRegistry returns a started registry with checks registered, and waits
// until every background check has a result so that responses do not change
// under the test. Close is registered as a cleanup.
func newRegistry(t *testing.T, opts core.Options, checks ...core.Check) *core.Registry {
	t.Helper()
	if opts.Service == "" {
		opts.Service = "conformance"
	}
	if opts.Version == "" {
		opts.Version = "v1.2.3"
	}
	if opts.Instance == "" {
		opts.Instance = "conformance-0"
	}
	if opts.PropagationDelay == 0 {
		opts.PropagationDelay = time.Millisecond
	}
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = 5 * time.Second
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	background := map[string]bool{}
	for _, c := range checks {
		if c.Interval > 0 {
			background[c.Name] = true
		}
	}
	seen := &resultWatcher{want: background, done: make(chan struct{})}
	if len(background) == 0 {
		close(seen.done)
	}
	opts.Observers = append(opts.Observers, seen)

	h, err := core.New(opts)
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	for _, c := range checks {
		if err := h.Register(c); err != nil {
			t.Fatalf("Register(%q): %v", c.Name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		if err := h.Close(); err != nil {
			t.Errorf("Registry.Close: %v", err)
		}
	})
	if err := h.Start(ctx); err != nil {
		t.Fatalf("Registry.Start: %v", err)
	}
	select {
	case <-seen.done:
	case <-time.After(runReturnTimeout):
		t.Fatalf("background checks have not run within %v of Start", runReturnTimeout)
	}
	return h
}

// resultWatcher is an observer that closes done once every check in want
// has reported a result.
type resultWatcher struct {
	mu   sync.Mutex
	want map[string]bool // guarded by mu; names still to see
	done chan struct{}
}

func (w *resultWatcher) ObserveResult(r core.Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.want[r.Name] {
		delete(w.want, r.Name)
		if len(w.want) == 0 {
			close(w.done)
		}
	}
}

func (w *resultWatcher) ObserveTransition(core.Transition) {}

// server is one ServeFunc running on a loopback listener.
type server struct {
	h      *core.Registry
	base   string // "http://127.0.0.1:port"
	prefix string // Config.Prefix
	ln     *trackedListener
	cancel context.CancelFunc
	done   chan struct{} // closed when the ServeFunc has returned
	err    error         // the ServeFunc's result; read after done
	waited atomic.Bool   // the test has read err through wait
}

// startServer runs serve for h on a fresh loopback listener. A cleanup
// cancels it and reports an error if it does not return, or returns an
// error the test has not consumed with wait.
func startServer(t *testing.T, serve ServeFunc, h *core.Registry, cfg Config) *server {
	t.Helper()
	if cfg.App == nil {
		cfg.App = func(string, string) (int, string) { return http.StatusOK, "app\n" }
	}
	if cfg.Stream == nil {
		cfg.Stream = func(_ string, write func(string) error) { _ = write("stream\n") }
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ln := &trackedListener{Listener: l}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{h: h, base: "http://" + l.Addr().String(), prefix: cfg.Prefix, ln: ln, cancel: cancel, done: make(chan struct{})}
	go func() { // exits when serve returns, which ctx's cancellation causes
		defer close(s.done)
		s.err = serve(ctx, h, ln, cfg)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(runReturnTimeout):
			t.Errorf("ServeFunc did not return within %v after its context was cancelled", runReturnTimeout)
			return
		}
		if !s.waited.Load() && s.err != nil {
			t.Errorf("ServeFunc returned %v after a clean shutdown, want nil", s.err)
		}
	})
	return s
}

// shutdown cancels the server's context, which starts the shutdown sequence.
func (s *server) shutdown() { s.cancel() }

// wait waits for the ServeFunc to return and returns its error.
func (s *server) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(runReturnTimeout):
		t.Fatalf("ServeFunc did not return within %v", runReturnTimeout)
	}
	s.waited.Store(true)
	return s.err
}

// url returns the absolute URL of target ("/app/x?y") on the server; probe
// targets get the prefix.
func (s *server) url(target string) string { return s.base + target }

// probeURL returns the absolute URL of a probe target, under the prefix.
func (s *server) probeURL(target string) string { return s.base + s.prefix + target }

// trackedListener records when it is closed.
type trackedListener struct {
	net.Listener
	once sync.Once
	at   atomic.Int64 // UnixNano of the first Close
}

func (l *trackedListener) Close() error {
	l.once.Do(func() { l.at.Store(time.Now().UnixNano()) })
	return l.Listener.Close()
}

// isClosed reports whether Close has been called.
func (l *trackedListener) isClosed() bool { return l.at.Load() != 0 }

// response is what a client saw.
type response struct {
	code   int
	header http.Header
	body   []byte
	close  bool // the server asked to close the connection
}

// newClient returns a client with its own transport, whose idle
// connections are closed when the test ends. keepAlive false dials a new
// connection for every request, so that a closed listener shows at once.
func newClient(t *testing.T, keepAlive bool) *http.Client {
	tr := &http.Transport{
		DisableKeepAlives:   !keepAlive,
		MaxIdleConnsPerHost: 256,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport: tr,
		Timeout:   runReturnTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a probe must answer, not redirect
		},
	}
}

// do sends one request and reads the whole response.
func do(c *http.Client, method, url, accept string) (response, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return response{}, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{code: resp.StatusCode, header: resp.Header, body: body, close: resp.Close}, nil
}

// mustDo is do that fails the test on a transport error.
func mustDo(t *testing.T, c *http.Client, method, url, accept string) response {
	t.Helper()
	r, err := do(c, method, url, accept)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

// eventually polls cond every few milliseconds until it holds or timeout
// passes, and reports whether it held.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// isDialError reports whether err happened while connecting, that is, the
// server refused the connection rather than accepting it and failing later.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
