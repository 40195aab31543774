package connecthealth_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"connectrpc.com/grpchealth"
	"github.com/probekit/probekit/core"
)

// A server that stops by itself (its listener fails) runs the rest of the
// sequence without a propagation delay: its graceful stop must not wait for
// the Watch streams, which end as they do when the propagation delay is
// over, instead of holding http.Server.Shutdown until the drain timeout.
func TestWatchEndsWhenTheServerStopsByItself(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{PropagationDelay: time.Hour, DrainTimeout: 5 * time.Second})
	e.h.MarkStarted()
	served := make(chan error, 1)
	go func() { served <- e.h.Serve(context.Background(), e.srv, e.ln) }()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ws := e.watches(ctx, t, "")
	expect(t, ws, grpchealth.StatusServing)

	_ = e.ln.Close() // the server stops by itself: Serve's Accept fails
	expect(t, ws, grpchealth.StatusNotServing)
	expectEnd(t, ws)
	err := <-served
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve = %v; want the listener's error", err)
	}
	var dte *core.DrainTimeoutError
	if errors.As(err, &dte) {
		t.Errorf("Serve = %v; want no abandoned drain: the Watch streams end", err)
	}
}
