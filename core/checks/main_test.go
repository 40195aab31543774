package checks_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// mustFail asserts that err is a *core.CheckError and returns it.
func mustFail(t *testing.T, err error) *core.CheckError {
	t.Helper()
	var ce *core.CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("check error = %v (%T), want a *core.CheckError", err, err)
	}
	return ce
}

// must unwraps a constructor's result, failing the test on an error:
// must(t)(checks.TCP(addr, opts)).
func must(t *testing.T) func(core.CheckFunc, error) core.CheckFunc {
	return func(fn core.CheckFunc, err error) core.CheckFunc {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return fn
	}
}

// call runs check with a context that ends after timeout (5s when zero).
func call(check core.CheckFunc, timeout time.Duration) error {
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return check(ctx)
}

// wantReason asserts the outcome of a check: healthy when want is "";
// else a *core.CheckError whose reason is prefix+want, or prefix followed by
// a timeout when want is "timeout". It returns the CheckError (nil when
// healthy).
func wantReason(t *testing.T, err error, prefix, want string) *core.CheckError {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("check = %v, want healthy", err)
		}
		return nil
	}
	ce := mustFail(t, err)
	switch {
	case want == "timeout":
		if !strings.HasPrefix(ce.Reason, prefix) || !timeoutReason.MatchString(ce.Reason) {
			t.Fatalf("reason = %q, want %q followed by a timeout", ce.Reason, prefix)
		}
	case ce.Reason != prefix+want:
		t.Fatalf("reason = %q, want %q", ce.Reason, prefix+want)
	}
	return ce
}
