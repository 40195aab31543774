package breaker

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// fakeShared is a SharedState whose decisions the test sets.
type fakeShared struct {
	mu        sync.Mutex
	admission Admission
	connected bool
	view      SharedView
	done      []string // "admission outcome reason"
}

func (f *fakeShared) Admit(context.Context) (Admission, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.admission, 0
}

func (f *fakeShared) Done(a Admission, _ uint64, o Outcome, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = append(f.done, strings.TrimSpace(strings.Join([]string{
		[]string{"local", "trial", "open", "busy"}[a],
		[]string{"succeeded", "failed", "excluded", "not-run"}[o],
		reason,
	}, " ")))
}

func (f *fakeShared) Connected() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connected
}

func (f *fakeShared) View() SharedView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.view
}

func TestSharedDecides(t *testing.T) {
	t.Parallel()
	opened := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	openView := SharedView{State: StateOpen, Since: opened, OpenedAt: opened, TripFailures: 7, Reason: "refused"}
	boom := errors.New("boom")
	tests := []struct {
		name      string
		shared    *fakeShared
		fn        func(context.Context) error
		wantErr   error
		wantCalls int
		wantDone  []string
		wantState State
		wantCheck string // core.Reason of Check; "" healthy
	}{
		{
			name:      "shared open rejects without calling",
			shared:    &fakeShared{admission: RejectOpen, connected: true, view: openView},
			wantErr:   ErrOpen,
			wantState: StateOpen,
			wantCheck: "open since 2026-01-02T03:04:05Z after 7 consecutive failures: refused",
		},
		{
			name:      "fleet trials busy",
			shared:    &fakeShared{admission: RejectBusy, connected: true, view: SharedView{State: StateHalfOpen, Since: opened, OpenedAt: opened, TripFailures: 7, FailedTrials: 1, Reason: "refused"}},
			wantErr:   ErrTooManyRequests,
			wantState: StateHalfOpen,
			wantCheck: "half-open since 2026-01-02T03:04:05Z, trying recovery; open since 2026-01-02T03:04:05Z after 7 consecutive failures and 1 failed recovery trial: refused",
		},
		{
			name:      "failed trial is reported with its reason",
			shared:    &fakeShared{admission: AdmitTrial, connected: true},
			fn:        func(context.Context) error { return boom },
			wantErr:   boom,
			wantCalls: 3, // Retry's default attempts: the fake never opens
			wantDone:  []string{"trial failed failed", "trial failed failed", "trial failed failed"},
		},
		{
			name:      "connected: the local breaker never trips on its own",
			shared:    &fakeShared{admission: AdmitLocal, connected: true},
			fn:        func(context.Context) error { return boom },
			wantErr:   boom,
			wantCalls: 3,
			wantDone:  []string{"local failed failed", "local failed failed", "local failed failed"},
		},
		{
			name:      "local mode: the local breaker trips, and says it is local",
			shared:    &fakeShared{admission: AdmitLocal},
			fn:        func(context.Context) error { return boom },
			wantErr:   boom,
			wantCalls: 2, // the second failure trips it (threshold 2)
			wantDone:  []string{"local failed failed", "local failed failed"},
			wantState: StateOpen,
			wantCheck: "; " + LocalModeMessage,
		},
		{
			name:      "local mode, closed: degraded",
			shared:    &fakeShared{admission: AdmitLocal},
			fn:        func(context.Context) error { return nil },
			wantCalls: 1,
			wantDone:  []string{"local succeeded"},
			wantCheck: LocalModeMessage,
		},
		{
			name:      "canceled call is excluded",
			shared:    &fakeShared{admission: AdmitLocal, connected: true},
			fn:        func(context.Context) error { return context.Canceled },
			wantErr:   context.Canceled,
			wantCalls: 3, // a canceled error under a live context is retried as before
			wantDone:  []string{"local excluded", "local excluded", "local excluded"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			shared := tt.shared
			b, err := New("dep", Settings{FailureThreshold: 2, Shared: shared, Retry: Retry{InitialInterval: time.Microsecond}})
			if err != nil {
				t.Fatal(err)
			}
			calls := 0
			err = b.Do(context.Background(), func(ctx context.Context) error {
				calls++
				return tt.fn(ctx)
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Do = %v, want %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if got := strings.Join(shared.done, "|"); got != strings.Join(tt.wantDone, "|") {
				t.Errorf("Done calls = %q, want %q", got, strings.Join(tt.wantDone, "|"))
			}
			if got := b.State(); got != tt.wantState {
				t.Errorf("State = %v, want %v", got, tt.wantState)
			}
			got := b.Check()(context.Background())
			switch {
			case tt.wantCheck == "" && got != nil:
				t.Errorf("Check = %v, want healthy", got)
			case tt.wantCheck != "" && !strings.HasSuffix(core.Reason(got), tt.wantCheck):
				t.Errorf("Check reason = %q, want suffix %q", core.Reason(got), tt.wantCheck)
			}
		})
	}
}

func TestSharedSeesPanicAsFailure(t *testing.T) {
	t.Parallel()
	shared := &fakeShared{admission: AdmitTrial, connected: true}
	b, err := New("dep", Settings{Shared: shared})
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { _ = recover() }()
		_ = b.Do(context.Background(), func(context.Context) error { panic("x") })
	}()
	if got, want := strings.Join(shared.done, "|"), "trial failed panic"; got != want {
		t.Errorf("Done calls = %q, want %q", got, want)
	}
}

// Connected, the call bypasses the local state machine; a trial that calls
// runtime.Goexit (t.FailNow) still ends its goroutine and is reported.
func TestSharedSeesGoexitAsFailure(t *testing.T) {
	t.Parallel()
	shared := &fakeShared{admission: AdmitTrial, connected: true}
	b, err := New("dep", Settings{Shared: shared})
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		_ = b.Do(context.Background(), func(context.Context) error { runtime.Goexit(); return nil })
		t.Error("Do returned after runtime.Goexit")
	}()
	<-ended
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if got, want := strings.Join(shared.done, "|"), "trial failed panic"; got != want {
		t.Errorf("Done calls = %q, want %q", got, want)
	}
}
