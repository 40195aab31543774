package core

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func ok(context.Context) error { return nil }

func newTestRegistry(t testing.TB, opts Options) *Registry {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		check Check
		want  string // substring of the error; "" means success
	}{
		{"valid", Check{Name: "db", Check: ok}, ""},
		{"valid all kinds", Check{Name: "db-2_x.y:z", Check: ok, Kinds: Liveness | Readiness | Startup}, ""},
		{"empty name", Check{Check: ok}, "name is empty"},
		{"slash in name", Check{Name: "a/b", Check: ok}, "name may only hold"},
		{"space in name", Check{Name: "a b", Check: ok}, "name may only hold"},
		{"nil func", Check{Name: "db"}, "Check func is nil"},
		{"unknown kind", Check{Name: "db", Check: ok, Kinds: 8}, "unknown Kinds"},
		{"negative timeout", Check{Name: "db", Check: ok, Timeout: -1}, "Timeout is negative"},
		{"negative interval", Check{Name: "db", Check: ok, Interval: -time.Second}, "Interval is negative"},
		{"negative initial delay", Check{Name: "db", Check: ok, Interval: time.Second, InitialDelay: -1}, "InitialDelay is negative"},
		{"initial delay without interval", Check{Name: "db", Check: ok, InitialDelay: time.Second}, "needs Interval"},
		{"negative failure threshold", Check{Name: "db", Check: ok, FailureThreshold: -1}, "FailureThreshold must be >= 1"},
		{"negative success threshold", Check{Name: "db", Check: ok, SuccessThreshold: -2}, "SuccessThreshold must be >= 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRegistry(t, Options{})
			err := r.Register(tt.check)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Register: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Register error = %v, want it to contain %q", err, tt.want)
			case tt.want != "" && !errors.Is(err, ErrInvalidCheck):
				t.Fatalf("Register error %v does not wrap ErrInvalidCheck", err)
			case tt.want != "" && len(r.snapshotChecks()) != 0:
				t.Fatalf("a rejected check was registered")
			}
		})
	}
}

func TestRegisterDuplicate(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	if err := r.Register(Check{Name: "db", Check: ok}); err != nil {
		t.Fatal(err)
	}
	err := r.Register(Check{Name: "db", Check: ok, Kinds: Liveness})
	if !errors.Is(err, ErrDuplicateCheck) {
		t.Fatalf("duplicate Register = %v, want ErrDuplicateCheck", err)
	}
	if got := r.lookup("db").check.Kinds; got != Readiness {
		t.Fatalf("the duplicate replaced the original: kinds %v", got)
	}
}

func TestCheckDefaults(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{DefaultTimeout: 300 * time.Millisecond})
	if err := r.Register(Check{Name: "db", Check: ok}); err != nil {
		t.Fatal(err)
	}
	c := r.lookup("db").check
	if c.Kinds != Readiness || c.Timeout != 300*time.Millisecond || c.FailureThreshold != 1 || c.SuccessThreshold != 1 {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"negative default timeout", Options{DefaultTimeout: -1}, "DefaultTimeout"},
		{"negative propagation delay", Options{PropagationDelay: -1}, "PropagationDelay"},
		{"negative drain timeout", Options{DrainTimeout: -1}, "DrainTimeout"},
		{"negative hook timeout", Options{HookTimeout: -1}, "HookTimeout"},
		{"nil observer", Options{Observers: []Observer{nil}}, "Observers[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.opts); !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[Kind]string{
		Liveness: "livez", Readiness: "readyz", Startup: "startupz",
		Liveness | Readiness: "livez|readyz", 0: "Kind(0)", 16: "Kind(16)",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
