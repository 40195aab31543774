package checks_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/probekit/probekit/core/checks"
)

func TestFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		flag *checks.Flag
		want string
	}{
		{name: "zero value", flag: new(checks.Flag), want: "starting"},
		{name: "empty reason", flag: checks.NewFlag(""), want: "starting"},
		{name: "migrations", flag: checks.NewFlag("migrations pending"), want: "migrations pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.flag
			for range 2 { // stays failed until Done
				if ce := mustFail(t, f.Check(context.Background())); ce.Reason != tt.want || ce.Degraded {
					t.Fatalf("reason = %q, degraded = %v; want %q, failed", ce.Reason, ce.Degraded, tt.want)
				}
			}
			if f.IsDone() {
				t.Fatal("IsDone before Done")
			}
			var wg sync.WaitGroup
			for range 3 { // Done is idempotent and safe for concurrent use
				wg.Add(1)
				go func() { defer wg.Done(); f.Done() }()
			}
			wg.Wait()
			if err := f.Check(context.Background()); err != nil || !f.IsDone() {
				t.Fatalf("after Done: check = %v, IsDone = %v", err, f.IsDone())
			}
		})
	}
}

func TestFlagWithholdsReasonThatMayHoldSecrets(t *testing.T) {
	t.Parallel()
	for _, reason := range []string{
		"waiting for postgres://app:pw@db",
		"waiting for app:pw@tcp(db)/orders",
		"migrations \x1b[2J pending",
		strings.Repeat("r", 129),
	} {
		ce := mustFail(t, checks.NewFlag(reason).Check(context.Background()))
		if ce.Reason != "starting" || strings.Contains(ce.Error(), reason) || !strings.Contains(ce.Error(), "withheld") {
			t.Errorf("NewFlag(%q): reason %q, error %q; want \"starting\" and why it was withheld", reason, ce.Reason, ce.Error())
		}
	}
}
