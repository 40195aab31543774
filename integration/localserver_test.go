package integration_test

import (
	"bytes"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// localServer starts a throwaway server from the binary named path (looked
// up by findBinary), with the arguments args makes for a free loopback
// port, and returns its address once it accepts connections. The process is killed and waited for at
// cleanup. A missing binary skips the test, or fails it under CI=true.
func localServer(t *testing.T, path string, args func(port string) []string) string {
	t.Helper()
	path, ok := findBinary(path)
	if !ok {
		unavailable(t, "%s not installed (not in PATH, /usr/sbin or /usr/local/sbin)", path)
		return ""
	}
	port := strconv.Itoa(freePort(t))
	var stderr lockedBuffer
	cmd := exec.Command(path, args(port)...)
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	exited := make(chan struct{})
	go func() { // owned by the test: ends when the process does
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	addr := net.JoinHostPort("127.0.0.1", port)
	// The server announces readiness only in its log: poll the port, a
	// few milliseconds apart, until it accepts or the process ends.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("%s exited: %s", path, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not accept connections on %s after 10s: %s", path, addr, stderr.String())
		}
	}
}

// findBinary looks name up in PATH and then in the sbin directories, where
// packages install servers and which a user's PATH often lacks.
func findBinary(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		if p, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
			return p, true
		}
	}
	return name, false
}

// lockedBuffer is a bytes.Buffer that a process writes and a test reads.
type lockedBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
