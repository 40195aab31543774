package core

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// Observers learn the end of each shutdown step and a drain that abandoned
// requests, with their count, so that metrics can report them; the log
// carries each step once (from the sequence), not twice.
func TestShutdownEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		inFlight  int
		wantSteps []string
	}{
		{"clean", 0, []string{"propagation:done", "drain:done", "hooks:done"}},
		{"abandoned", 2, []string{"propagation:done", "drain:abandoned", "drain:done", "hooks:done"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs safeBuffer
			rec := &recorder{}
			r := newTestRegistry(t, Options{
				Logger:           slog.New(slog.NewTextHandler(&logs, nil)),
				Observers:        []Observer{rec},
				PropagationDelay: time.Millisecond, DrainTimeout: 50 * time.Millisecond,
			})
			for range tt.inFlight {
				r.InFlight().Enter()
			}
			defer func() {
				for range tt.inFlight {
					r.InFlight().Leave()
				}
			}()
			_ = r.Shutdown(context.Background(), nil)

			rec.mu.Lock()
			defer rec.mu.Unlock()
			var steps []string
			for _, tr := range rec.transitions {
				if tr.Component != "shutdown" {
					continue
				}
				steps = append(steps, tr.Name+":"+tr.To)
				if tr.Time.IsZero() {
					t.Errorf("%s:%s has no time", tr.Name, tr.To)
				}
				if tr.To == "abandoned" {
					var dte *DrainTimeoutError
					if !errors.As(tr.Err, &dte) || dte.Abandoned != int64(tt.inFlight) {
						t.Errorf("abandoned transition Err = %v, want a DrainTimeoutError with %d abandoned", tr.Err, tt.inFlight)
					}
					if !strings.HasPrefix(tr.Reason, "2 requests") {
						t.Errorf("abandoned transition Reason = %q, want it to lead with the count", tr.Reason)
					}
				}
			}
			if strings.Join(steps, " ") != strings.Join(tt.wantSteps, " ") {
				t.Errorf("shutdown transitions = %v, want %v", steps, tt.wantSteps)
			}
			if strings.Contains(logs.String(), "component=shutdown") {
				t.Errorf("the slog observer logged the sequence's own steps again:\n%s", logs.String())
			}
		})
	}
}

// A server that stops by itself has no propagation delay, but the step
// still ends, at once and saying why, before the drain: observers that act
// when the listeners close (connecthealth ends its Watch streams there, or
// the graceful stop waits for them) act on this path too.
func TestShutdownEventsServerStoppedByItself(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	r := newTestRegistry(t, Options{Observers: []Observer{rec}, PropagationDelay: time.Hour, DrainTimeout: time.Minute})
	r.MarkStarted()
	failed := errors.New("accept failed")
	err := r.Run(context.Background(), func() error { return failed }, func(context.Context) error { return nil })
	if !errors.Is(err, failed) {
		t.Fatalf("Run = %v; want serve's error", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var steps []string
	for _, tr := range rec.transitions {
		if tr.Component != "shutdown" {
			continue
		}
		steps = append(steps, tr.Name+":"+tr.To)
		if tr.Name == "propagation" && tr.Reason != ReasonStoppedByItself {
			t.Errorf("propagation Reason = %q; want %q", tr.Reason, ReasonStoppedByItself)
		}
	}
	if want := "propagation:done drain:done hooks:done"; strings.Join(steps, " ") != want {
		t.Errorf("shutdown transitions = %v; want %s", steps, want)
	}
}
