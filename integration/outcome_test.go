package integration_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// ctxFor returns a context that ends after timeout, or with the test.
func ctxFor(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// wantResult asserts a check's outcome: healthy when want is "", else a
// reason of prefix+want. Neither the reason nor the error may hold any of
// the secrets.
func wantResult(t *testing.T, err error, prefix, want string, secrets ...string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("check = %v, want healthy", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("check passed, want %q", prefix+want)
	}
	if got := core.Reason(err); got != prefix+want {
		t.Fatalf("reason = %q, want %q (error: %v)", got, prefix+want, err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q holds a secret", err)
		}
	}
}
