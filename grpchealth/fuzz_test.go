package grpchealth_test

import (
	"context"
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/grpchealth"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// FuzzService: any service name a client sends is answered without a
// panic, NOT_FOUND exactly when it names neither a probe nor a check, and
// the same by Check (which probes) and Watch's first message (which reads
// the stored state) once the checks have run.
func FuzzService(f *testing.F) {
	for _, s := range []string{"", "readiness", "liveness", "startup", "db", "disk", "db/x", "\x00", "Readiness", " db"} {
		f.Add(s)
	}
	h, err := core.New(core.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer h.Close()
	_ = h.Register(core.Check{Name: "db", Check: func(context.Context) error { return nil }})
	_ = h.Register(core.Check{Name: "disk", Kinds: core.Liveness, Check: func(context.Context) error { return nil }})
	for _, k := range []core.Kind{core.Startup, core.Readiness, core.Liveness} {
		_, _ = h.Evaluate(context.Background(), k)
	}
	hs, err := grpchealth.New(h)
	if err != nil {
		f.Fatal(err)
	}
	defer hs.Close()
	f.Fuzz(func(t *testing.T, service string) {
		req := &healthpb.HealthCheckRequest{Service: service}
		resp, err := hs.Check(context.Background(), req)
		known := service == "" || service == "readiness" || service == "liveness" || service == "startup" ||
			service == "db" || service == "disk"
		switch {
		case known && err != nil:
			t.Fatalf("Check(%q): %v", service, err)
		case !known && status.Code(err) != codes.NotFound:
			t.Fatalf("Check(%q) = %v, %v; want NOT_FOUND", service, resp, err)
		}
		w := &firstOnly{ctx: canceled()}
		_ = hs.Watch(req, w)
		want := healthpb.HealthCheckResponse_SERVICE_UNKNOWN
		if known {
			want = resp.GetStatus()
		}
		if w.first == nil || w.first.GetStatus() != want {
			t.Fatalf("Watch(%q) first = %v, want %v", service, w.first, want)
		}
	})
}

// firstOnly is a Watch stream that keeps the first message; its context is
// already canceled, so Watch returns after it.
type firstOnly struct {
	healthpb.Health_WatchServer
	ctx   context.Context
	first *healthpb.HealthCheckResponse
}

func (s *firstOnly) Context() context.Context { return s.ctx }

func (s *firstOnly) Send(r *healthpb.HealthCheckResponse) error {
	if s.first == nil {
		s.first = r
	}
	return nil
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
