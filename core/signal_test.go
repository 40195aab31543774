package core

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signalChildEnv names the case TestSignalChild runs in a child process.
const signalChildEnv = "PROBEKIT_SIGNAL_CHILD"

// TestRunSecondSignal sends real signals to a child process running Run
// (signals are process-wide: in this process they would reach every Run of
// the parallel tests). A SIGTERM delivered twice back to back, as a
// process-group kill does while a wrapper forwards it, is one signal: the
// propagation delay is honoured and Run returns nil. A second signal after
// DuplicateSignalWindow cuts the sequence short, and the logs and the error
// say after how long, not the configured durations.
func TestRunSecondSignal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		delay time.Duration // PropagationDelay of the child
		send  func(t *testing.T, pid int, out *childOutput)
		exit  string   // the child's last line
		logs  []string // substrings the child's log must hold
		not   []string // and must not
	}{
		{
			name:  "duplicate delivery",
			delay: 300 * time.Millisecond,
			send: func(t *testing.T, pid int, _ *childOutput) {
				kill(t, pid, syscall.SIGTERM)
				kill(t, pid, syscall.SIGTERM)
			},
			exit: "run: <nil>",
			// The kernel may merge the two SIGTERMs into one delivery.
			logs: []string{"propagation delay over", "drained, no request in flight"},
			not:  []string{"cut short", "forced"},
		},
		{
			// Two different signals are always delivered both.
			name:  "SIGINT duplicating SIGTERM",
			delay: 300 * time.Millisecond,
			send: func(t *testing.T, pid int, _ *childOutput) {
				kill(t, pid, syscall.SIGTERM)
				kill(t, pid, syscall.SIGINT)
			},
			exit: "run: <nil>",
			logs: []string{"signal ignored as a duplicate delivery", "propagation delay over"},
			not:  []string{"cut short", "forced"},
		},
		{
			name:  "second signal",
			delay: time.Hour, // only the second signal ends it
			send: func(t *testing.T, pid int, out *childOutput) {
				kill(t, pid, syscall.SIGTERM)
				out.await(t, "signal received, shutting down")
				// The window counts from the first signal's arrival, which
				// precedes the line above: this wait is sure to exceed it.
				time.Sleep(DuplicateSignalWindow + 50*time.Millisecond)
				kill(t, pid, syscall.SIGTERM)
			},
			exit: "run: forced=true",
			logs: []string{"second signal, cutting the shutdown short", "propagation delay cut short", "after=", "cause=\"shutdown forced by a second signal (terminated "},
			not:  []string{"delay over", "after=1h"},
		},
		{
			// The adaptive wait, whose quiet period of an hour only the
			// second signal ends, is cut short the same way.
			name:  "second signal during the adaptive wait",
			delay: -time.Hour, // adaptive: see TestSignalChild
			send: func(t *testing.T, pid int, out *childOutput) {
				kill(t, pid, syscall.SIGTERM)
				out.await(t, "signal received, shutting down")
				time.Sleep(DuplicateSignalWindow + 50*time.Millisecond) // as above
				kill(t, pid, syscall.SIGTERM)
			},
			exit: "run: forced=true",
			logs: []string{"second signal, cutting the shutdown short", "propagation delay cut short", "cause=\"shutdown forced by a second signal (terminated "},
			not:  []string{"delay over", "bound="},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestSignalChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), signalChildEnv+"="+tt.delay.String())
			out := startChild(t, cmd)
			out.await(t, "serving")
			tt.send(t, cmd.Process.Pid, out)
			if err := out.wait(t, cmd); err != nil {
				t.Errorf("child exited with %v, want 0; output:\n%s", err, out.all())
			}
			log := out.all()
			if !strings.Contains(log, tt.exit) {
				t.Errorf("child output lacks %q:\n%s", tt.exit, log)
			}
			for _, s := range tt.logs {
				if !strings.Contains(log, s) {
					t.Errorf("child output lacks %q:\n%s", s, log)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(log, s) {
					t.Errorf("child output holds %q:\n%s", s, log)
				}
			}
		})
	}
}

// TestSignalChild is the child process of TestRunSecondSignal; it does
// nothing in a normal test run.
func TestSignalChild(t *testing.T) {
	spec := os.Getenv(signalChildEnv)
	if spec == "" {
		t.Skip("child process of TestRunSecondSignal only")
	}
	delay, err := time.ParseDuration(spec)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, nil))
	opts := Options{PropagationDelay: delay, DrainTimeout: time.Hour, Logger: logger}
	if delay < 0 { // adaptive, quiet for -delay: the wait lasts that long without traffic
		opts.PropagationDelay, opts.QuietPeriod, opts.PropagationDelayMax = time.Millisecond, -delay, -2*delay
	}
	r := newTestRegistry(t, opts)
	stopped := make(chan struct{})
	serving := make(chan struct{})
	go func() { <-serving; fmt.Println("serving") }()
	err = r.Run(context.Background(), func() error { close(serving); <-stopped; return http.ErrServerClosed },
		func(context.Context) error { close(stopped); return nil })
	if errors.Is(err, ErrForced) {
		fmt.Printf("run: forced=true %v\n", err)
		return
	}
	fmt.Printf("run: %v\n", err)
}

func kill(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill %d %v: %v", pid, sig, err)
	}
}

// childOutput collects a child's stdout line by line.
type childOutput struct {
	lines chan string
	seen  []string
}

func startChild(t *testing.T, cmd *exec.Cmd) *childOutput {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := &childOutput{lines: make(chan string, 64)}
	go func() { // ends at the child's exit, which closes stdout
		defer close(out.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return out
}

// await reads lines until one contains s.
func (o *childOutput) await(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-o.lines:
			if !ok {
				t.Fatalf("child exited before printing %q:\n%s", s, o.all())
			}
			o.seen = append(o.seen, l)
			if strings.Contains(l, s) {
				return
			}
		case <-timeout:
			t.Fatalf("child has not printed %q within 30s:\n%s", s, o.all())
		}
	}
}

// wait reads the rest of the output and waits for the child to exit.
func (o *childOutput) wait(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-o.lines:
			if !ok {
				return cmd.Wait()
			}
			o.seen = append(o.seen, l)
		case <-timeout:
			t.Fatalf("child has not exited within 30s:\n%s", o.all())
		}
	}
}

func (o *childOutput) all() string { return strings.Join(o.seen, "\n") }
