package grpchealth

import (
	"context"
	"errors"
	"sync"

	"github.com/probekit/probekit/core"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// Server serves grpc.health.v1.Health from a core registry. Create it with
// [New] or [Register]; Close it (Run and Serve do) to end its Watch streams
// and its notifier goroutine.
//
// Check and List answer as the HTTP probes do, through [core.Registry.Probe]:
// from the pre-rendered answer when every check runs in the background, else
// by running the synchronous checks within their timeouts. Watch is pushed
// by the registry's events (see [Server.Watch]).
type Server struct {
	healthpb.UnimplementedHealthServer

	h      *core.Registry
	remove func()        // unsubscribes the observer
	events chan struct{} // capacity 1: "something changed", coalesced
	done   chan struct{} // closed by Close
	exited chan struct{} // closed when the notifier goroutine returns
	close  sync.Once

	mu       sync.Mutex            // guards watchers and closed
	watchers map[*watcher]struct{} // the open Watch streams
	closed   bool
}

// watcher is one Watch stream. ch (capacity 1) holds the newest status not
// yet sent; the notifier replaces a stale one instead of waiting, so a slow
// client never blocks anything but its own stream.
type watcher struct {
	service string
	ch      chan healthpb.HealthCheckResponse_ServingStatus
	queued  healthpb.HealthCheckResponse_ServingStatus // guarded by Server.mu
}

// New returns a Server for h, subscribed to h's events. It starts one
// goroutine, which Close ends. A nil h is an error.
func New(h *core.Registry) (*Server, error) {
	if h == nil {
		return nil, errors.New("grpchealth: registry is nil")
	}
	s := &Server{
		h:        h,
		events:   make(chan struct{}, 1),
		done:     make(chan struct{}),
		exited:   make(chan struct{}),
		watchers: make(map[*watcher]struct{}),
	}
	remove, err := h.AddObserver(observer{s.events})
	if err != nil {
		return nil, err
	}
	s.remove = remove
	go s.notify() // ends when Close closes done
	return s, nil
}

// Register creates a Server for h (see [New]) and registers it on g as the
// grpc.health.v1.Health service.
func Register(g grpc.ServiceRegistrar, h *core.Registry) (*Server, error) {
	if g == nil {
		return nil, errors.New("grpchealth: grpc server is nil")
	}
	s, err := New(h)
	if err != nil {
		return nil, err
	}
	healthpb.RegisterHealthServer(g, s)
	return s, nil
}

// Registry returns the registry s serves.
func (s *Server) Registry() *core.Registry { return s.h }

// Close unsubscribes s from the registry and ends every Watch stream: each
// sends the current status if it has not sent it yet and returns OK, so that
// grpc.Server.GracefulStop does not wait for streams that never end. Watch
// calls after Close send the current status and return at once; Check and
// List still answer. Close is idempotent and safe for concurrent use.
func (s *Server) Close() {
	s.close.Do(func() {
		s.remove()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		<-s.exited
	})
}

// Check answers with the status of one service (see the package doc for
// the names); an unknown service fails with NOT_FOUND, as the protocol says.
func (s *Server) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	st, ok := s.probe(ctx, req.GetService())
	if !ok {
		return nil, status.Error(codes.NotFound, "unknown service")
	}
	return response(st), nil
}

// List answers with the status of every service: the overall "" and
// "liveness", "readiness", "startup", then each check (a check named like
// one of those four is reported under that name's meaning, not its own).
// It runs synchronous checks as Check does.
func (s *Server) List(ctx context.Context, _ *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	checks := s.h.Checks()
	services := core.HealthServices()
	out := make(map[string]*healthpb.HealthCheckResponse, len(services)+len(checks))
	for _, c := range checks {
		if st, ok := s.probe(ctx, c.Name); ok {
			out[c.Name] = response(st)
		}
	}
	for _, svc := range services {
		st, _ := s.probe(ctx, svc.Name)
		out[svc.Name] = response(st)
	}
	return &healthpb.HealthListResponse{Statuses: out}, nil
}

// Watch sends the current status of the service at once, then every change
// as the registry reports it, until the client cancels or the Server is
// closed (then it returns OK). An unknown service is SERVICE_UNKNOWN, and
// the stream stays open: the service may appear later (a check registered
// after the call reports its first result), as the protocol says.
//
// Watch never runs a check: it recomputes the status from what the registry
// already knows ([core.Registry.Stored]) each time a check or the lifecycle
// changes. With checks that run in the background, that is exactly what
// Check and the HTTP probes answer. A synchronous check changes only when a
// probe (an HTTP probe, a Check or List RPC) runs it, so Watch sees its
// failure no sooner than the next probe does; before any probe has run it,
// it counts as "not run yet" (NOT_SERVING for readiness and startup).
// Draining is a lifecycle change: the readiness services ("" and
// "readiness") turn NOT_SERVING as /readyz turns 503.
func (s *Server) Watch(req *healthpb.HealthCheckRequest, stream grpc.ServerStreamingServer[healthpb.HealthCheckResponse]) error {
	w := &watcher{service: req.GetService(), ch: make(chan healthpb.HealthCheckResponse_ServingStatus, 1)}
	s.mu.Lock()
	closed := s.closed
	w.queued = s.stored(w.service)
	sent := w.queued // read under mu: broadcast changes queued
	if !closed {
		s.watchers[w] = struct{}{}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.watchers, w)
		s.mu.Unlock()
	}()
	if err := stream.Send(response(sent)); err != nil {
		return err
	}
	if closed {
		return nil
	}
	ctx := stream.Context()
	for {
		select {
		case st := <-w.ch:
			if st == sent {
				continue
			}
			if err := stream.Send(response(st)); err != nil {
				return err
			}
			sent = st
		case <-s.done:
			// The last word is the current status, whatever was queued.
			if st := s.storedLocked(w.service); st != sent {
				return stream.Send(response(st))
			}
			return nil
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// notify recomputes the watched services' statuses each time the registry
// reports a change, until Close.
func (s *Server) notify() {
	defer close(s.exited)
	for {
		select {
		case <-s.events:
			s.broadcast()
		case <-s.done:
			return
		}
	}
}

// broadcast queues the current status for every watcher whose status has
// changed, replacing a status its stream has not sent yet.
func (s *Server) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	known := make(map[string]healthpb.HealthCheckResponse_ServingStatus, len(s.watchers))
	for w := range s.watchers {
		st, ok := known[w.service]
		if !ok {
			st = s.stored(w.service)
			known[w.service] = st
		}
		if st == w.queued {
			continue
		}
		w.queued = st
		select {
		case <-w.ch: // stale: the stream has not sent it yet
		default:
		}
		w.ch <- st // cannot block: capacity 1, and only broadcast sends, under mu
	}
}

// storedLocked is stored under s.mu, so that it orders with broadcast.
func (s *Server) storedLocked(service string) healthpb.HealthCheckResponse_ServingStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored(service)
}

// observer pokes the notifier on every check, drill or lifecycle transition. It
// never blocks: a poke already pending covers this one too.
type observer struct{ events chan<- struct{} }

func (observer) ObserveResult(core.Result) {}

func (o observer) ObserveTransition(t core.Transition) {
	if t.Component != "check" && t.Component != "lifecycle" && t.Component != "drill" {
		return
	}
	select {
	case o.events <- struct{}{}:
	default:
	}
}
