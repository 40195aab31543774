package examples_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// examples are the example services, by directory; each builds to a binary
// of that name.
var examples = []string{"chi", "gin", "echo", "echo5", "fiber", "fiber3", "nethttp"}

// The end-to-end timing: short, so that the test takes a few seconds, yet
// each phase long enough to be observed from outside the process.
const (
	propagationDelay = time.Second
	migrationDelay   = time.Second
	slowRequest      = 2 * propagationDelay // still running when the listener closes
	inFlight         = 4
)

// TestEndToEnd builds every example once, then runs each as a separate
// process, as Kubernetes would: it waits through the startup phase, checks
// every route, then sends SIGTERM while slow requests are in flight and
// asserts the shutdown contract (readiness 503 during the delay, liveness
// 200, every request completed, exit status 0).
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the end-to-end test builds the examples with the go command: %v", err)
	}
	// One go build for every example: the packages compile in parallel and
	// share the build cache. Without -race: the mains only wire things up,
	// and the code they run is raced by internal/demo's and the adapters'
	// own tests; a race build of SQLite would double the build time.
	args := []string{"build", "-o", dir}
	for _, name := range examples {
		args = append(args, "./"+name)
	}
	build := exec.Command(goBin, args...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	probePaths := manifestProbePaths(t)

	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			badConfig(t, filepath.Join(dir, name))
			s := startService(t, filepath.Join(dir, name))
			s.startup(t)
			s.routes(t, probePaths)
			s.metrics(t)
			s.drain(t)
		})
	}
}

// manifestProbePaths returns the paths the Deployment's probes call, so
// that the test proves the example serves them.
func manifestProbePaths(t *testing.T) []string {
	m := loadManifests(t)
	c, _ := m.app(t)
	var paths []string
	for _, p := range probes(c) {
		if p != nil && p.HTTPGet != nil {
			paths = append(paths, p.HTTPGet.Path)
		}
	}
	return paths
}

// badConfig checks that bin refuses a bad setting with exit status 2 and a
// message naming it, before it opens anything.
func badConfig(t *testing.T, bin string) {
	for _, tt := range []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"-port", "http"}, nil, `invalid value "http" for flag -port`},
		{nil, []string{"DRAIN_TIMEOUT=soon"}, `DRAIN_TIMEOUT: want a positive duration such as 5s, got "soon"`},
	} {
		cmd := exec.Command(bin, tt.args...)
		cmd.Env = append(os.Environ(), tt.env...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), tt.want) {
			t.Errorf("%s %v with %s: %v, output %q; want exit status 2 and %q", filepath.Base(bin), tt.args, tt.env, err, out, tt.want)
		}
	}
}

// service is one example running as a child process.
type service struct {
	cmd     *exec.Cmd
	out     *syncBuffer
	base    string
	client  *http.Client
	started time.Time     // just before the process started
	exited  chan struct{} // closed when the process has exited; then waitErr is set
	waitErr error
}

// startService starts bin on a free loopback port with Redis pointed at a
// closed port, so that the service is degraded but ready; env, if any,
// overrides that environment.
func startService(t *testing.T, bin string, env ...string) *service {
	t.Helper()
	port := freePort(t)
	s := &service{
		out:    &syncBuffer{},
		base:   "http://127.0.0.1:" + strconv.Itoa(port),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		exited: make(chan struct{}),
	}
	s.cmd = exec.Command(bin)
	s.cmd.Env = append(os.Environ(),
		"LISTEN_HOST=127.0.0.1",
		"PORT="+strconv.Itoa(port),
		"PROPAGATION_DELAY="+propagationDelay.String(),
		"DRAIN_TIMEOUT=10s",
		"MIGRATION_DELAY="+migrationDelay.String(),
		"REDIS_ADDR=127.0.0.1:"+strconv.Itoa(freePort(t)),
	)
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.started = time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // owned by s; ends when the process exits
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(bin), s.out.String())
		}
	})
	return s
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// get fetches path and returns the status code and body.
func (s *service) get(path string) (int, string, error) {
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// poll calls get(path) until done accepts the answer, failing after a
// generous deadline or if the process exits.
func (s *service) poll(t *testing.T, path string, done func(code int, body string) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body, err := s.get(path)
		if err == nil && done(code, body) {
			return
		}
		select {
		case <-s.exited:
			t.Fatalf("process exited while polling %s: %v", path, s.waitErr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: gave up after 20s; last answer %d %q, %v", path, code, body, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startup waits for the listener, then through the startup phase, checking
// that every probe that answered while the migrations certainly ran said
// 503 "starting", and that startup never passed before they could finish.
func (s *service) startup(t *testing.T) {
	s.poll(t, "/livez", func(code int, _ string) bool { return code == http.StatusOK })
	for {
		for _, path := range []string{"/startupz", "/readyz"} {
			code, body, err := s.get(path)
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			early := time.Since(s.started) < migrationDelay
			switch {
			case early && (code != http.StatusServiceUnavailable || !strings.Contains(body, `"message":"starting"`)):
				t.Fatalf("GET %s during migrations: %d %s, want 503 \"starting\"", path, code, body)
			case code == http.StatusOK && path == "/startupz":
				return
			case code != http.StatusOK && code != http.StatusServiceUnavailable:
				t.Fatalf("GET %s during startup: %d %s", path, code, body)
			}
		}
		if time.Since(s.started) > 20*time.Second {
			t.Fatal("startup did not pass in 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// routes checks every endpoint of the started service.
func (s *service) routes(t *testing.T, probePaths []string) {
	// The optional Redis check runs in the background; wait for its verdict.
	s.poll(t, "/readyz", func(code int, body string) bool {
		return code == http.StatusOK && strings.Contains(body, `"status":"degraded"`)
	})
	tests := []struct {
		path     string
		wantCode int
		want     string // a substring of the body
	}{
		{"/livez", 200, `"status":"ok"`},
		{"/startupz", 200, `"status":"ok"`},
		{"/readyz", 200, `"message":"degraded: redis"`},
		{"/readyz?verbose", 200, "[+]sqlite ok\n"},
		{"/readyz?verbose", 200, "[-]redis degraded: redis 127.0.0.1:"},
		{"/readyz?verbose", 200, ": connection refused\n"},
		{"/readyz?exclude=redis", 200, `"status":"ok"`},
		{"/readyz/sqlite", 200, `"status":"ok"`},
		{"/readyz/nope", 404, "nope"},
		{"/healthz", 200, `"status":"ok"`},
		{"/orders/1", 200, `"customer":"Ada Lovelace"`},
		{"/orders/99", 404, `"error":"order 99 not found"`},
		{"/orders/first", 400, `"error":"id: want a positive integer`},
		{"/slow?ms=5", 200, `{"slept_ms":5}`},
		{"/slow?ms=x", 400, `"error":"ms: want an integer in [0, 30000]`},
		{"/slow?ms=30001", 400, `"error":"ms: want an integer in [0, 30000]`},
		{"/slow", 400, `"error":"ms:`},
	}
	for _, p := range probePaths {
		tests = append(tests, struct {
			path     string
			wantCode int
			want     string
		}{p, 200, `"status":`})
	}
	for _, tt := range tests {
		code, body, err := s.get(tt.path)
		if err != nil || code != tt.wantCode || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s = %d %q (%v), want %d and %q", tt.path, code, body, err, tt.wantCode, tt.want)
		}
	}
}

// slowResult is the outcome of one in-flight request.
type slowResult struct {
	code int
	body string
	err  error
}

// drain sends SIGTERM while slow requests are in flight and checks the
// shutdown contract.
func (s *service) drain(t *testing.T) {
	results := make(chan slowResult, inFlight)
	var sent sync.WaitGroup
	sent.Add(inFlight)
	for range inFlight {
		go func() { // ends when the request does; the client timeout bounds it
			var once sync.Once
			trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(sent.Done) }}
			req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
				http.MethodGet, fmt.Sprintf("%s/slow?ms=%d", s.base, slowRequest.Milliseconds()), nil)
			resp, err := s.client.Do(req)
			once.Do(sent.Done) // a request that failed before it was written
			if err != nil {
				results <- slowResult{err: err}
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			results <- slowResult{code: resp.StatusCode, body: string(body), err: err}
		}()
	}
	// Written is enough: the service keeps accepting for the propagation
	// delay after SIGTERM, so a request on the wire cannot be refused.
	sent.Wait()
	// Taken before the signal: the checks below are lower bounds ("not
	// before the delay"), which a late timestamp could fail falsely.
	signalled := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	// Readiness fails at once, liveness does not, and both are answered
	// until the delay ends.
	s.poll(t, "/readyz", func(code int, body string) bool {
		if code == http.StatusOK {
			return false // the signal is not handled yet
		}
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `"message":"shutting down"`) {
			t.Errorf("GET /readyz while draining = %d %s, want 503 \"shutting down\"", code, body)
		}
		return true
	})
	if code, body, err := s.get("/livez"); err != nil || code != http.StatusOK {
		t.Errorf("GET /livez while draining = %d %q (%v), want 200", code, body, err)
	}
	if late := time.Since(signalled); late >= propagationDelay {
		t.Logf("probes while draining answered only %v after SIGTERM (delay %v): the machine is slow", late, propagationDelay)
	}
	s.notReadyUntilClosed(t, signalled)

	want := fmt.Sprintf(`{"slept_ms":%d}`, slowRequest.Milliseconds())
	for range inFlight {
		r := <-results
		if r.err != nil || r.code != http.StatusOK || strings.TrimSpace(r.body) != want {
			t.Errorf("in-flight request: %d %q (%v), want 200 %s", r.code, r.body, r.err, want)
		}
	}

	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("process still running 20s after SIGTERM")
	}
	if s.waitErr != nil {
		t.Errorf("exit: %v, want status 0", s.waitErr)
	}
	if took := time.Since(signalled); took < propagationDelay {
		t.Errorf("exited %v after SIGTERM, before the propagation delay (%v) was over", took, propagationDelay)
	}
	out := s.out.String()
	for _, want := range []string{"lifecycle draining", "lifecycle stopped", "stopped cleanly"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(out, "level=ERROR") {
		t.Error("log has errors")
	}
	s.client.CloseIdleConnections()
}

// notReadyUntilClosed polls /readyz, each time on a new connection, from
// the first 503 "shutting down" until the listener refuses connections:
// readiness must stay 503 all that time, never 200 again, and the listener
// must not close before the propagation delay is over.
func (s *service) notReadyUntilClosed(t *testing.T, signalled time.Time) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	answered := 0
	for {
		code, body, err := s.get("/readyz")
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			if closed := time.Since(signalled); closed < propagationDelay {
				t.Errorf("listener closed %v after SIGTERM, before the propagation delay (%v) was over", closed, propagationDelay)
			}
			if answered == 0 {
				t.Log("no /readyz answer between the first 503 and the listener closing: the machine is slow")
			}
			return
		case err != nil:
			// A connection accepted just as the listener closed may be
			// reset: not an answer, and the next one is refused.
			t.Logf("GET /readyz while draining: %v", err)
		case code != http.StatusServiceUnavailable:
			t.Errorf("GET /readyz while draining, %v after SIGTERM = %d %s; want 503 until the listener closes", time.Since(signalled), code, body)
		default:
			answered++
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still answered 20s after SIGTERM (%d answers 503)", answered)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a child
// process's stdout and stderr copiers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
