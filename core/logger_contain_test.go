package core

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileHandler is a slog.Handler, user code handed over as
// Options.Logger, that panics, calls runtime.Goexit or blocks on every
// record.
type hostileHandler struct {
	mode  string
	block chan struct{}
}

func (h hostileHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h hostileHandler) Handle(context.Context, slog.Record) error {
	switch h.mode {
	case "goexit":
		runtime.Goexit()
	case "block":
		<-h.block
		return nil
	}
	panic("logger broke")
}
func (h hostileHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h hostileHandler) WithGroup(string) slog.Handler      { return h }

// A logger is user code like a check: its handler panicking, calling
// runtime.Goexit or blocking must neither crash nor hold a probe, nor stop
// the shutdown sequence.
func TestHostileLoggerIsContained(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"panic", "goexit", "block"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			block := make(chan struct{})
			defer close(block)
			r, err := New(Options{
				Logger:           slog.New(hostileHandler{mode: mode, block: block}),
				DefaultTimeout:   10 * time.Millisecond,
				PropagationDelay: time.Nanosecond,
				DrainTimeout:     time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			// A background check probed before Start logs a warning.
			if err := r.Register(Check{Name: "bg", Kinds: Liveness, Interval: time.Hour, Check: func(context.Context) error { return nil }}); err != nil {
				t.Fatal(err)
			}
			if err := r.OnShutdown("h", func(context.Context) error { return nil }); err != nil {
				t.Fatal(err)
			}
			done := make(chan ProbeResponse, 1)
			go func() {
				defer close(done)
				done <- r.Probe(context.Background(), ProbeRequest{Method: http.MethodGet, Kind: Liveness})
			}()
			if _, ok := <-done; !ok {
				t.Fatal("the probe's goroutine ended inside the logger")
			}
			errc := make(chan error, 1)
			go func() {
				defer close(errc)
				errc <- r.Shutdown(context.Background(), nil)
			}()
			if err, ok := <-errc; !ok {
				t.Fatal("Shutdown's goroutine ended inside the logger")
			} else if err != nil {
				t.Fatalf("Shutdown = %v, want nil", err)
			}
			if got := r.State(); got != StateStopped {
				t.Fatalf("state = %v, want stopped", got)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The cause of a shutdown cut short is the caller's error, as a check's
// error is the check's: it reaches the log redacted, like a transition's.
func TestShutdownCauseIsRedactedInLogs(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	r, err := New(Options{Logger: slog.New(slog.NewTextHandler(&buf, nil)), PropagationDelay: time.Hour, DrainTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	r.InFlight().Enter() // a request that never ends: the drain is cut short too
	defer r.InFlight().Leave()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("operator aborted: dsn postgres://app:hunter2@db/app"))
	if err := r.Shutdown(ctx, nil); !errors.Is(err, ErrDrainTimeout) {
		t.Fatalf("Shutdown = %v, want a drain timeout", err)
	}
	out := buf.String()
	if !strings.Contains(out, "cause=") {
		t.Fatalf("no cause logged:\n%s", out)
	}
	if strings.Contains(out, "hunter2") {
		t.Fatalf("secret in log:\n%s", out)
	}
}
