package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// panicChildEnv names the library a re-executed test binary builds with a
// panicking check (see TestPanickingCheck).
const panicChildEnv = "PROBEKIT_BENCH_PANIC_CHILD"

// survivedMarker is what the child prints once it has probed for a second
// without dying.
const survivedMarker = "survived"

func explode(context.Context) error { panic("check exploded") }

// TestPanickingCheck runs each library with a check that panics in a child
// process (this test binary, re-executed), so that a library that lets the
// panic kill the process kills only the child. probekit must survive; the
// others are logged (and measured by BenchmarkPanic).
func TestPanickingCheck(t *testing.T) {
	if name := os.Getenv(panicChildEnv); name != "" {
		panicChild(t, name)
		return
	}
	for _, l := range libs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			survived, out := runPanicChild(t, l.name)
			t.Logf("%s survived a panicking check: %v", l.name, survived)
			if l.name == "probekit" && !survived {
				t.Fatalf("probekit's process died of a panicking check:\n%s", out)
			}
		})
	}
}

// BenchmarkPanic reports survived = 1 if the library's process outlived a
// panicking check, 0 if the panic killed it.
func BenchmarkPanic(b *testing.B) {
	for _, l := range libs {
		b.Run(l.name, func(b *testing.B) {
			survived := 1.0
			for range b.N {
				if ok, _ := runPanicChild(b, l.name); !ok {
					survived = 0
				}
			}
			b.ReportMetric(survived, "survived")
		})
	}
}

// runPanicChild re-executes this test binary as the child of library name
// and says whether it survived, with its output.
func runPanicChild(tb testing.TB, name string) (bool, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPanickingCheck$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), panicChildEnv+"="+name)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		tb.Fatalf("starting the child: %v", err)
	}
	return err == nil && strings.Contains(string(out), survivedMarker), string(out)
}

// panicChild builds library name with one panicking check, in the mode it
// runs checks on probes if it has one, else its background mode, probes it
// for a second and prints the marker if it is still alive.
func panicChild(t *testing.T, name string) {
	for _, l := range libs {
		if l.name != name {
			continue
		}
		build := l.sync
		if build == nil {
			build = l.cached
		}
		h := build(t, []check{{name: "dep", fn: explode}})
		var code int
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
			code = probe(h)
			time.Sleep(10 * time.Millisecond)
		}
		fmt.Printf("%s: last probe answered %d (%s)\n", survivedMarker, code, http.StatusText(code))
		return
	}
	t.Fatalf("%s=%q: no such library", panicChildEnv, name)
}
