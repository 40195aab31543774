package checks_test

import (
	"errors"
	"testing"

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
