package conformance

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// Runner is an adapter's pair of graceful runners for its framework value
// of type F (an http.Handler, a *gin.Engine, an *echo.Echo, a *fiber.App):
// the package-level Run and Serve functions, which Run(t, serve) reaches
// only through a ServeFunc, and never with an address or a nil argument.
type Runner[F any] struct {
	// Run listens on addr and serves f until ctx ends.
	Run func(ctx context.Context, f F, addr string, h *core.Registry) error
	// Serve serves f on ln until ctx ends.
	Serve func(ctx context.Context, f F, ln net.Listener, h *core.Registry) error
	// New returns a framework value ready to serve, a new one per call.
	New func() F
}

// NilCase is a nil argument that Run and Serve must reject: F or H is nil,
// and Want is the whole text of the error.
type NilCase[F any] struct {
	Name string
	F    F
	H    *core.Registry
	Want string
}

// RunAddr checks what r.Run adds to Serve, as parallel subtests of t: it
// listens on the address it is given, and an address it cannot listen on is
// its error, a *net.OpError, returned after the shutdown hooks ran, as they
// run when a cancelled context ends a Run that listened.
func RunAddr[F any](t *testing.T, r Runner[F]) {
	t.Helper()
	tests := []struct {
		name    string
		addr    string
		wantErr bool
	}{
		{"cancelled", "127.0.0.1:0", false},
		{"bad address", "127.0.0.1:-1", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler), PropagationDelay: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			var hookRan atomic.Bool
			if err := h.OnShutdown("db", func(context.Context) error { hookRan.Store(true); return nil }); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err = r.Run(ctx, r.New(), tc.addr, h)
			if !hookRan.Load() {
				t.Errorf("Run(%q) returned without running the shutdown hooks", tc.addr)
			}
			var opErr *net.OpError
			switch {
			case tc.wantErr && !errors.As(err, &opErr):
				t.Errorf("Run(%q) = %v, want a *net.OpError", tc.addr, err)
			case !tc.wantErr && err != nil:
				t.Errorf("Run(%q) = %v, want nil", tc.addr, err)
			}
		})
	}
}

// RejectsNil checks, as a parallel subtest of t per case, that a nil
// framework value or registry is an error at once rather than a server that
// runs and then crashes at shutdown: Run returns it before it listens, and
// Serve returns it after closing its listener.
func RejectsNil[F any](t *testing.T, r Runner[F], cases []NilCase[F]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			// An address Run must not listen on: it validates first.
			if err := r.Run(context.Background(), tc.F, "127.0.0.1:-1", tc.H); err == nil || err.Error() != tc.Want {
				t.Errorf("Run = %v, want %q", err, tc.Want)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Serve(context.Background(), tc.F, ln, tc.H); err == nil || err.Error() != tc.Want {
				t.Errorf("Serve = %v, want %q", err, tc.Want)
			}
			if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Serve did not close its listener on error: Accept = %v", err)
			}
		})
	}
}
