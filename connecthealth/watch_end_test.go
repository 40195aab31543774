package connecthealth_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/grpchealth"
	"github.com/probekit/probekit/core"
)

// A Watch through the Handler after Close sends the current status and
// ends, in every protocol; one whose client goes away ends with it (goleak,
// in TestMain, sees any stream left behind); Check still answers, and an
// unknown service is still NOT_FOUND for Check and SERVICE_UNKNOWN for a
// Watch.
func TestWatchAfterClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, core.Options{})
	e.h.MarkStarted()
	e.serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	gone, leave := context.WithCancel(ctx)
	early := e.watches(gone, t, "")
	expect(t, early, grpchealth.StatusServing)
	leave() // the clients go away before Close
	for _, w := range early {
		if _, err := w.recv(); err == nil {
			t.Errorf("%s: a status after its client went away", w.name)
		}
	}

	e.c.Close()
	ws := e.watches(ctx, t, "")
	expect(t, ws, grpchealth.StatusServing)
	expectEnd(t, ws)
	unknown := e.watches(ctx, t, "nosuch")
	expect(t, unknown, 3) // SERVICE_UNKNOWN
	expectEnd(t, unknown)
	if res, err := e.c.Check(ctx, &grpchealth.CheckRequest{}); err != nil || res.Status != grpchealth.StatusServing {
		t.Errorf("Check after Close = %v, %v; want SERVING", res, err)
	}
	for _, cl := range e.clients() {
		if st, err := cl.check(ctx, "nosuch"); err == nil {
			t.Errorf("%s: Check of an unknown service = %v; want NOT_FOUND", cl.name, st)
		}
	}
}
