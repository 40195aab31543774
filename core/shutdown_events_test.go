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
