package conformance_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the package when goroutines outlive the tests. core's
// module has no dependencies, so this is a small stand-in for goleak, which
// the adapters' tests use.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines waits up to timeout for every goroutine but the current
// one and the runtime's own to exit, and returns the stacks of those left.
func leakedGoroutines(timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for i, g := range strings.Split(string(buf), "\n\n") {
			if i == 0 || ignorable(g) { // the first is this goroutine
				continue
			}
			leaked = append(leaked, g)
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ignorable reports goroutines that live for the whole process: signal
// delivery, which os/signal starts on first use.
func ignorable(stack string) bool {
	return strings.Contains(stack, "os/signal.signal_recv") ||
		strings.Contains(stack, "os/signal.loop") ||
		strings.Contains(stack, "runtime.ensureSigM")
}
