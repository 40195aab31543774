package connecthealth_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"connectrpc.com/grpchealth"
	"github.com/probekit/probekit/core"
)

// An onChange of a caller's own Watch is untrusted code: one that blocks
// or calls runtime.Goexit must neither hang Close nor end the goroutine
// that calls it (main's deferred Close, say), and must not hold up the
// registry's delivery of its events.
func TestWatchDirectUntrustedOnChange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		onChange func(release <-chan struct{}) func()
	}{
		{"blocks", func(release <-chan struct{}) func() { return func() { <-release } }},
		{"Goexit", func(<-chan struct{}) func() { return runtime.Goexit }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, core.Options{})
			release := make(chan struct{})
			defer close(release)
			stop, err := e.c.Watch(context.Background(), &grpchealth.CheckRequest{}, tt.onChange(release))
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			e.h.MarkStarted() // a lifecycle change: onChange is called
			closed := make(chan bool, 1)
			go func() {
				returned := false
				defer func() { closed <- returned }()
				e.c.Close()
				returned = true
			}()
			select {
			case returned := <-closed:
				if !returned {
					t.Error("Close did not return: onChange ended its goroutine")
				}
			case <-time.After(30 * time.Second): // a hang, not a timing
				t.Fatal("Close hangs on an onChange that blocks")
			}
		})
	}
}
