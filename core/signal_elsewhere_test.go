package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// signalElsewhereEnv makes TestSignalElsewhereChild run in a child process.
const signalElsewhereEnv = "PROBEKIT_SIGNAL_ELSEWHERE_CHILD"

// A second signal during a sequence that a preStop handler started
// (StartShutdown) made Run return at once while that sequence went on in
// the background: the hooks had not run when Run returned (main then
// exits, the database is never closed) and the sequence's goroutine
// outlived Run. The second signal now cuts the sequence itself short,
// whoever started it, and Run returns once it has ended: hooks run once,
// with an ended context, and the registry is stopped.
func TestSecondSignalCutsASequenceStartedElsewhere(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalElsewhereChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), signalElsewhereEnv+"=1")
	out := startChild(t, cmd)
	out.await(t, "started elsewhere")
	kill(t, cmd.Process.Pid, syscall.SIGTERM) // the kubelet's SIGTERM after preStop
	// Not "shutting down": the log says the signal found the sequence
	// under way.
	out.await(t, "signal received, shutdown already under way")
	time.Sleep(DuplicateSignalWindow + 50*time.Millisecond)
	kill(t, cmd.Process.Pid, syscall.SIGTERM) // the operator forces
	if err := out.wait(t, cmd); err != nil {
		t.Errorf("child exited with %v, want 0; output:\n%s", err, out.all())
	}
	log := out.all()
	for _, want := range []string{"second signal, cutting the shutdown short", "run: forced=true", "hooks=1 state=stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("child output lacks %q:\n%s", want, log)
		}
	}
}

// TestSignalElsewhereChild is the child process of
// TestSecondSignalCutsASequenceStartedElsewhere; it does nothing in a
// normal test run.
func TestSignalElsewhereChild(t *testing.T) {
	if os.Getenv(signalElsewhereEnv) == "" {
		t.Skip("child process of TestSecondSignalCutsASequenceStartedElsewhere only")
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, nil))
	r := newTestRegistry(t, Options{PropagationDelay: time.Hour, DrainTimeout: time.Hour, Logger: logger})
	var hooks atomic.Int32
	_ = r.OnShutdown("db", func(context.Context) error { hooks.Add(1); return nil })
	stopped := make(chan struct{})
	serving := make(chan struct{})
	go func() {
		<-serving
		if err := r.StartShutdown(); err != nil {
			fmt.Println("StartShutdown:", err)
			return
		}
		fmt.Println("started elsewhere")
	}()
	err := r.Run(context.Background(), func() error { close(serving); <-stopped; return http.ErrServerClosed },
		func(context.Context) error { close(stopped); return nil })
	fmt.Printf("run: forced=%v %v\n", errors.Is(err, ErrForced), err)
	fmt.Printf("hooks=%d state=%v\n", hooks.Load(), r.State())
}
