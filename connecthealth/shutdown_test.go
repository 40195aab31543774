package connecthealth_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"connectrpc.com/grpchealth"
	"github.com/probekit/probekit/core"
)

// drainingObserver asks every health client, the moment the registry starts
// draining (before the propagation delay, while the server still serves),
// for the overall status, as a load balancer would.
type drainingObserver struct {
	e    *env
	once sync.Once
	mu   sync.Mutex
	got  map[string]string // client name → status or error
	http int               // /readyz's status code
	done chan struct{}
}

func (o *drainingObserver) ObserveResult(core.Result) {}

func (o *drainingObserver) ObserveTransition(tr core.Transition) {
	if tr.Component != "lifecycle" || tr.To != core.StateDraining.String() {
		return
	}
	o.once.Do(func() {
		defer close(o.done)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		got := make(map[string]string)
		for _, cl := range o.e.clients() {
			st, err := cl.check(ctx, "")
			if err != nil {
				got[cl.name] = err.Error()
				continue
			}
			got[cl.name] = st.String()
		}
		res, err := o.e.h1.Get(o.e.url + "/readyz")
		code := 0
		if err == nil {
			code = res.StatusCode
			_ = res.Body.Close()
		}
		o.mu.Lock()
		o.got, o.http = got, code
		o.mu.Unlock()
	})
}

// A connect service run by the registry (Serve with an http.Server that
// speaks cleartext HTTP/2) shuts down through the one sequence, by each way
// of starting it: health answers NOT_SERVING from the first moment of
// shutdown to every client, Watch streams see it and then end OK, the RPC
// in flight completes, and Serve returns nil.
func TestShutdown(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"cancel", "admin route"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			// DefaultTimeout bounds how long the sequence waits for an
			// observer: long enough for the one below to ask its questions.
			e := newEnv(t, core.Options{PropagationDelay: time.Nanosecond, DrainTimeout: time.Minute, DefaultTimeout: time.Minute})
			obs := &drainingObserver{e: e, done: make(chan struct{})}
			remove, err := e.h.AddObserver(obs)
			if err != nil {
				t.Fatal(err)
			}
			defer remove()
			if err := e.h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }}); err != nil {
				t.Fatal(err)
			}
			e.h.MarkStarted()
			runCtx, stop := context.WithCancel(context.Background())
			defer stop()
			served := make(chan error, 1)
			go func() { served <- e.h.Serve(runCtx, e.srv, e.ln) }()

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := e.c.Check(ctx, &grpchealth.CheckRequest{}); err != nil { // runs db
				t.Fatal(err)
			}
			ws := e.watches(ctx, t, "")
			expect(t, ws, grpchealth.StatusServing)
			inFlight := make(chan error, 1)
			go func() { inFlight <- e.call(ctx, 42) }()
			<-e.b.entered

			switch how {
			case "cancel":
				stop()
			case "admin route":
				res, err := e.h1.Post(e.url+"/admin/shutdown", "", nil)
				if err != nil {
					t.Fatal(err)
				}
				_ = res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Fatalf("admin route: %s", res.Status)
				}
			}
			expect(t, ws, grpchealth.StatusNotServing)
			expectEnd(t, ws) // at the end of the propagation delay: Shutdown waits for no stream
			close(e.b.release)
			if err := <-inFlight; err != nil {
				t.Errorf("RPC in flight: %v", err)
			}
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-ctx.Done():
				t.Fatal("Serve did not return")
			}
			<-obs.done
			obs.mu.Lock()
			defer obs.mu.Unlock()
			for _, cl := range e.clients() {
				if got := obs.got[cl.name]; got != grpchealth.StatusNotServing.String() {
					t.Errorf("%s while draining: %s; want %v", cl.name, got, grpchealth.StatusNotServing)
				}
			}
			if obs.http != http.StatusServiceUnavailable {
				t.Errorf("/readyz while draining: %d; want 503", obs.http)
			}
		})
	}
}
