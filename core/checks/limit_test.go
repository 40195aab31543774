package checks_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/probekit/probekit/core/checks"
)

func TestLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name     string
		check    func() (func(context.Context) error, error)
		want     string // regexp for the reason; "" means healthy
		degraded bool
	}{
		{name: "goroutines below", check: wrap(checks.Goroutines(1_000_000, checks.LimitOptions{}))},
		{name: "goroutines above", check: wrap(checks.Goroutines(1, checks.LimitOptions{})),
			want: `^goroutines: \d+ running \(max 1\)$`},
		{name: "goroutines above degraded", check: wrap(checks.Goroutines(1, checks.LimitOptions{Degraded: true})),
			want: `^goroutines: \d+ running \(max 1\)$`, degraded: true},
		{name: "heap below", check: wrap(checks.HeapInUse(math.MaxUint64, checks.LimitOptions{}))},
		{name: "heap above", check: wrap(checks.HeapInUse(1, checks.LimitOptions{})),
			want: `^heap: [\d.]+ [KMG]iB in use \(max 1 B\)$`},
		{name: "heap above degraded", check: wrap(checks.HeapInUse(1, checks.LimitOptions{Degraded: true})),
			want: `^heap: .* in use`, degraded: true},
		{name: "disk enough", check: wrap(checks.DiskSpace(dir, 1, checks.LimitOptions{}))},
		{name: "disk short", check: wrap(checks.DiskSpace(dir, math.MaxUint64, checks.LimitOptions{})),
			want: `^disk ` + regexp.QuoteMeta(dir) + `: [\d.]+ [KMGTP]?i?B free \(min 16 EiB\)$`},
		{name: "disk short degraded", check: wrap(checks.DiskSpace(dir, math.MaxUint64, checks.LimitOptions{Degraded: true})),
			want: `free \(min 16 EiB\)$`, degraded: true},
		{name: "disk missing path", check: wrap(checks.DiskSpace(missing, 1, checks.LimitOptions{Degraded: true})),
			want: `^disk ` + regexp.QuoteMeta(missing) + `: no such file or directory$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fn, err := tt.check()
			if err != nil {
				t.Fatal(err)
			}
			err = fn(context.Background())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("check = %v, want healthy", err)
				}
				return
			}
			ce := mustFail(t, err)
			if !regexp.MustCompile(tt.want).MatchString(ce.Reason) {
				t.Fatalf("reason = %q, want a match for %s", ce.Reason, tt.want)
			}
			if ce.Degraded != tt.degraded {
				t.Fatalf("degraded = %v, want %v", ce.Degraded, tt.degraded)
			}
		})
	}
}

// wrap defers a constructor's result so that table rows can hold it.
func wrap[F ~func(context.Context) error](fn F, err error) func() (func(context.Context) error, error) {
	return func() (func(context.Context) error, error) { return fn, err }
}

func TestLimitOptionErrors(t *testing.T) {
	t.Parallel()
	errs := map[string]error{}
	_, errs["Goroutines(0)"] = checks.Goroutines(0, checks.LimitOptions{})
	_, errs["Goroutines(-1)"] = checks.Goroutines(-1, checks.LimitOptions{})
	_, errs["HeapInUse(0)"] = checks.HeapInUse(0, checks.LimitOptions{})
	_, errs["DiskSpace(empty path)"] = checks.DiskSpace("", 1, checks.LimitOptions{})
	_, errs["DiskSpace(minFree 0)"] = checks.DiskSpace(os.TempDir(), 0, checks.LimitOptions{})
	for call, err := range errs {
		if err == nil || !strings.HasPrefix(err.Error(), "checks: ") {
			t.Errorf("%s = %v, want a checks: error", call, err)
		}
	}
}
