package healthtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/healthtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFake(t *testing.T) {
	t.Parallel()
	f := healthtest.NewFake()
	ctx := context.Background()
	if err := f.Check(ctx); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	f.Fail(boom)
	if err := f.Check(ctx); !errors.Is(err, boom) {
		t.Fatalf("Fail: %v", err)
	}
	f.Succeed()
	f.SetLatency(time.Hour)
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := f.Check(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("latency past the deadline: %v", err)
	}
	f.SetLatency(0)
	f.Panic("bad")
	func() {
		defer func() {
			if v := recover(); v != "bad" {
				t.Fatalf("recovered %v", v)
			}
		}()
		_ = f.Check(ctx)
	}()
	f.Fail(nil)

	f.Hang()
	var wg sync.WaitGroup
	wg.Add(1)
	returned := make(chan struct{})
	go func() { defer wg.Done(); _ = f.Check(short); close(returned) }()
	select {
	case <-returned:
		t.Fatal("a hanging call returned before Release")
	case <-time.After(30 * time.Millisecond):
	}
	f.Release()
	wg.Wait()
	f.Release() // harmless when not hanging
	if n := f.Calls(); n != 5 {
		t.Fatalf("Calls = %d, want 5", n)
	}
}

// A hanging dependency: the probe answers by the timeout and the fake is
// called once, however many probes arrive.
func ExampleFake() {
	h, _ := core.New(core.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	db := healthtest.NewFake()
	_ = h.Register(core.Check{Name: "db", Check: db.Check, Timeout: 20 * time.Millisecond})
	db.Hang()
	defer db.Release()
	for range 3 {
		rep, _ := h.Evaluate(context.Background(), core.Readiness)
		fmt.Println(rep.Status, rep.Checks[0].Message)
	}
	fmt.Println("calls:", db.Calls())
	// Output:
	// unavailable timeout
	// unavailable timeout (previous run still in progress)
	// unavailable timeout (previous run still in progress)
	// calls: 1
}
