package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The rolling restart, scaled to the test: the load balancer takes a
// failing backend out after failThreshold polls pollInterval apart (about
// 300 ms, plus a poll's latency), so probekit's propagation delay is ten
// times that: a loaded machine can stretch the balancer's reaction a lot
// before the listener closes under a request.
const (
	rollPropagationDelay = 3 * time.Second
	rollDrainTimeout     = 5 * time.Second
	rollInstances        = 3
	rollClients          = 4
	// rollPace is each client's pause between requests: continuous load
	// that leaves the two cores to the servers and the balancer.
	rollPace = 5 * time.Millisecond
)

// rollingOutEnv names the file TestRollingRestart writes its counts to, as
// JSON, for cmd/report (make bench-compare sets it).
const rollingOutEnv = "PROBEKIT_ROLLING_OUT"

// rollingResult is one framework's rolling restart, as cmd/report reads it.
type rollingResult struct {
	Framework  string  `json:"framework"`
	Requests   int64   `json:"requests"`
	Failed     int64   `json:"failed"`      // answers other than 200, and client errors
	ConnErrors int64   `json:"conn_errors"` // balancer to backend connections that failed (answered 502)
	NoBackend  int64   `json:"no_backend"`  // answered 503: nothing in rotation
	Seconds    float64 `json:"seconds"`
}

// TestRollingRestart replaces each of three instances behind a
// readiness-following load balancer, one after the other, under continuous
// client load: start the new instance, wait until the balancer has it in
// rotation, SIGTERM the old one and wait for it to exit. Each probekit
// adapter, with its defaults scaled to the test, must fail no request; the
// naive baseline (http.Server.Shutdown at SIGTERM) is measured, not judged.
func TestRollingRestart(t *testing.T) {
	bin := buildRollserver(t)
	var (
		mu      sync.Mutex
		results []rollingResult
	)
	t.Run("group", func(t *testing.T) {
		for _, fw := range []string{"nethttp", "chi", "gin", "echo", "fiber", "naive"} {
			t.Run(fw, func(t *testing.T) {
				t.Parallel()
				res := rollingRestart(t, bin, fw)
				t.Logf("%s: %d requests, %d failed, %d backend connection errors, %d without a backend, %.1f s",
					fw, res.Requests, res.Failed, res.ConnErrors, res.NoBackend, res.Seconds)
				mu.Lock()
				results = append(results, res)
				mu.Unlock()
				if fw != "naive" && (res.Failed != 0 || res.ConnErrors != 0) {
					t.Errorf("%s: %d of %d requests failed (%d backend connection errors) in a rolling restart, want 0",
						fw, res.Failed, res.Requests, res.ConnErrors)
				}
			})
		}
	})
	if path := os.Getenv(rollingOutEnv); path != "" {
		data, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// buildRollserver builds cmd/rollserver (seconds with a warm build cache).
func buildRollserver(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rollserver")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/rollserver").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/rollserver: %v\n%s", err, out)
	}
	return bin
}

func rollingRestart(t *testing.T, bin, framework string) rollingResult {
	start := time.Now()
	lb := newBalancer()
	front := httptest.NewServer(lb)
	defer front.Close()
	defer lb.close()

	instances := make([]*instance, rollInstances)
	for i := range instances {
		instances[i] = startInstance(t, bin, framework, lb)
	}
	defer func() {
		for _, in := range instances {
			in.kill()
		}
	}()
	for _, in := range instances {
		in.waitInRotation(t)
	}

	var requests, failed atomic.Int64
	stop := make(chan struct{})
	var clients sync.WaitGroup
	stopClients := sync.OnceFunc(func() {
		close(stop)
		clients.Wait()
	})
	defer stopClients() // also when a t.Fatal ends the test early
	client := &http.Client{Timeout: 30 * time.Second}
	for range rollClients {
		clients.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				requests.Add(1)
				if !post(client, front.URL+"/work") {
					failed.Add(1)
				}
				time.Sleep(rollPace)
			}
		})
	}

	for i, old := range instances {
		repl := startInstance(t, bin, framework, lb)
		repl.waitInRotation(t)
		instances[i] = repl
		old.terminate(t, framework)
	}

	stopClients()
	client.CloseIdleConnections()
	return rollingResult{
		Framework:  framework,
		Requests:   requests.Load(),
		Failed:     failed.Load(),
		ConnErrors: lb.connErrors.Load(),
		NoBackend:  lb.noBackend.Load(),
		Seconds:    time.Since(start).Seconds(),
	}
}

// post sends one non-idempotent request (a POST with a body, which
// http.Transport never retries on its own) and says whether it got 200.
func post(c *http.Client, url string) bool {
	resp, err := c.Post(url, "text/plain", strings.NewReader("order"))
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// errNoListenLine is returned when a server process ends before saying
// where it listens.
var errNoListenLine = errors.New("the server exited before printing its address")

// instance is one rollserver process behind the balancer.
type instance struct {
	cmd    *exec.Cmd
	be     *backend
	lb     *balancer
	stderr *lockedBuffer
	exited chan error
}

func startInstance(t *testing.T, bin, framework string, lb *balancer) *instance {
	t.Helper()
	cmd := exec.Command(bin, "-framework", framework,
		"-propagation-delay", rollPropagationDelay.String(), "-drain-timeout", rollDrainTimeout.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{cmd: cmd, lb: lb, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	cmd.Stderr = in.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	addr := ""
	if lines.Scan() {
		addr, _ = strings.CutPrefix(lines.Text(), "listening on ")
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		in.exited <- cmd.Wait()
	}()
	if addr == "" {
		in.kill()
		t.Fatalf("%s: %v\n%s", framework, errNoListenLine, in.stderr)
	}
	in.be = lb.add(addr)
	return in
}

// waitInRotation waits until the balancer's first successful poll of in.
func (in *instance) waitInRotation(t *testing.T) {
	t.Helper()
	select {
	case <-in.be.ready:
	case err := <-in.exited:
		t.Fatalf("instance %s exited before it was ready: %v\n%s", in.be.addr, err, in.stderr)
	case <-time.After(time.Minute):
		t.Fatalf("instance %s not ready within a minute\n%s", in.be.addr, in.stderr)
	}
}

// terminate sends SIGTERM, waits for the process to exit (it must exit 0)
// and for the balancer to take it out of rotation, which it learns from
// failed polls only, as a real one would, then takes it off the list.
func (in *instance) terminate(t *testing.T, framework string) {
	t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-in.exited:
		in.exited <- err // for kill
		if err != nil {
			t.Errorf("%s instance %s: %v after SIGTERM\n%s", framework, in.be.addr, err, in.stderr)
		}
	case <-time.After(time.Minute):
		t.Errorf("%s instance %s still running a minute after SIGTERM\n%s", framework, in.be.addr, in.stderr)
	}
	select {
	case <-in.be.out:
	case <-time.After(time.Minute):
		t.Errorf("%s instance %s: the balancer still polls it as ready a minute after it exited", framework, in.be.addr)
	}
	in.lb.remove(in.be)
}

// kill ends the process if it still runs and waits for it.
func (in *instance) kill() {
	_ = in.cmd.Process.Kill()
	err := <-in.exited
	in.exited <- err
}

// lockedBuffer is a bytes.Buffer a process writes to while a test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
