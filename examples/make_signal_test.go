package examples_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoUnderMakeGroupKill runs `make demo` in its own process group and
// sends SIGTERM to the whole group, as a terminal's job control, a CI
// runner or `kill -TERM -- -<pgid>` does. GNU make forwards the SIGTERM it
// gets to the service, so the service receives the one signal twice within
// milliseconds: that must be taken for one signal, not for an operator's
// second signal that cuts the shutdown short. The service must honour the
// propagation delay, drain and stop cleanly. Several rounds with chi, since
// whether the kernel merges the two deliveries is a matter of timing, then
// one with each framework's new major (FRAMEWORK=fiber3, echo5), whose
// `make demo` must behave the same.
func TestDemoUnderMakeGroupKill(t *testing.T) {
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("this test runs `make demo`: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir() // the Makefile builds the demo binary into $TMPDIR
	for round, framework := range []string{"chi", "chi", "chi", "fiber3", "echo5"} {
		port := freePort(t)
		s := &service{
			out:    &syncBuffer{},
			base:   "http://127.0.0.1:" + strconv.Itoa(port),
			client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
			exited: make(chan struct{}),
		}
		s.cmd = exec.Command(makeBin, "--no-print-directory", "-C", root, "demo", "FRAMEWORK="+framework)
		s.cmd.Env = append(os.Environ(),
			"TMPDIR="+tmp,
			"LISTEN_HOST=127.0.0.1",
			"PORT="+strconv.Itoa(port),
			"PROPAGATION_DELAY="+propagationDelay.String(),
			"DRAIN_TIMEOUT=10s",
			"MIGRATION_DELAY=0s",
			"REDIS_ADDR=127.0.0.1:"+strconv.Itoa(freePort(t)),
		)
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { // ends when make has exited, which it does after the service
			s.waitErr = s.cmd.Wait()
			close(s.exited)
		}()
		pgid := s.cmd.Process.Pid
		killGroup := func() { _ = syscall.Kill(-pgid, syscall.SIGKILL); <-s.exited }

		// make builds the binary first: wait for readiness generously.
		deadline := time.Now().Add(3 * time.Minute)
		for {
			code, _, err := s.get("/readyz")
			if err == nil && code == http.StatusOK {
				break
			}
			select {
			case <-s.exited:
				t.Fatalf("round %d: make exited before the service was ready: %v\n%s", round, s.waitErr, s.out.String())
			default:
			}
			if time.Now().After(deadline) {
				killGroup()
				t.Fatalf("round %d: the service was not ready within 3 minutes:\n%s", round, s.out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}

		if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
			killGroup()
			t.Fatalf("kill -TERM -%d: %v", pgid, err)
		}
		select {
		case <-s.exited:
		case <-time.After(time.Minute):
			killGroup()
			t.Fatalf("round %d: make and the service had not exited a minute after SIGTERM:\n%s", round, s.out.String())
		}
		out := s.out.String()
		for _, want := range []string{"propagation delay over", "drained, no request in flight", "stopped cleanly"} {
			if !strings.Contains(out, want) {
				t.Errorf("round %d: the service's log lacks %q", round, want)
			}
		}
		for _, not := range []string{"forced", "cut short"} {
			if strings.Contains(out, not) {
				t.Errorf("round %d: the service's log holds %q: a duplicate delivery was taken for a second signal", round, not)
			}
		}
		if t.Failed() {
			t.Fatalf("round %d output:\n%s", round, out)
		}
	}
}
