package connecthealth

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/probekit/probekit/core"
)

// statusServiceUnknown is the protocol's SERVICE_UNKNOWN (3), which
// connectrpc.com/grpchealth does not name: its handler sends a Status as
// the protocol's enum value, so Watch can say it as grpc-go's server does.
const statusServiceUnknown grpchealth.Status = 3

// watchProcedure is the path of the streaming health RPC: the handler
// returned by [Checker.Handler] gives those requests a context that ends
// when the Checker closes its watches.
const watchProcedure = "/" + grpchealth.HealthV1ServiceName + "/Watch"

// Checker is a connectrpc.com/grpchealth Checker and Watcher backed by a
// core registry. Create it with [New] and serve it with [Checker.Handler].
//
// Check answers as the HTTP probes do, through
// [core.Registry.HealthServiceServing]: from the pre-rendered answer when
// every check runs in the background, else by running the synchronous
// checks within their timeouts. Watch is pushed by the registry's events
// (see [Checker.Watch]).
type Checker struct {
	h      *core.Registry
	remove func() // unsubscribes the observer

	mu      sync.Mutex          // guards watches and closing
	watches map[*watch]struct{} // the open Watch streams
	closing bool                // set once: the watches end
}

// watch is one Watch stream: its onChange, and, when it came through
// Checker.Handler, the cancel of its request's context.
type watch struct {
	service  string
	onChange func()
	cancel   context.CancelFunc // nil for a stream not served by Checker.Handler
	closing  bool               // guarded by Checker.mu: end after the next status
	stopped  atomic.Bool        // its stop was called: no more onChange
}

// watchKey marks the context of a Watch request served by Checker.Handler.
type watchKey struct{}

// watchRequest is the value behind watchKey: the request's cancel, and the
// watch its Watch call created, once it has.
type watchRequest struct {
	cancel context.CancelFunc
	w      *watch // guarded by Checker.mu
}

// New returns a Checker for h, subscribed to h's events. It starts no
// goroutine. A nil h is an error.
func New(h *core.Registry) (*Checker, error) {
	if h == nil {
		return nil, errors.New("connecthealth: registry is nil")
	}
	c := &Checker{h: h, watches: make(map[*watch]struct{})}
	remove, err := h.AddObserver(observer{c})
	if err != nil {
		return nil, err
	}
	c.remove = remove
	return c, nil
}

// Registry returns the registry c serves.
func (c *Checker) Registry() *core.Registry { return c.h }

// Handler returns the path and the handler of grpc.health.v1.Health (Check
// and Watch, in the gRPC, gRPC-Web and Connect protocols) answered by c,
// built by connectrpc.com/grpchealth's NewHandler with options, for
// http.ServeMux.Handle:
//
//	mux.Handle(c.Handler())
//
// The handler gives each Watch request a context that c ends when the
// registry's propagation delay is over (or c is closed), after the
// stream has sent the current status: the stream then returns OK, so that
// http.Server.Shutdown does not wait for a stream that would never end.
// grpchealth.NewHandler(c) serves c too, but its Watch streams end only
// when their clients go away.
//
// Mount it outside the registry's Drain: a health RPC is a probe, not a
// request the drain waits for or an arrival that keeps an adaptive
// propagation delay from being quiet.
func (c *Checker) Handler(options ...connect.HandlerOption) (string, http.Handler) {
	path, next := grpchealth.NewHandler(c, options...)
	return path, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != watchProcedure {
			next.ServeHTTP(w, req)
			return
		}
		ctx, cancel := context.WithCancel(req.Context())
		defer cancel()
		ctx = context.WithValue(ctx, watchKey{}, &watchRequest{cancel: cancel})
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

// Close unsubscribes c from the registry and ends every Watch stream served
// by [Checker.Handler] once it has sent the current status; Watch streams
// through it after Close send the current status and end at once. Check
// still answers. Close is idempotent and safe for concurrent use.
func (c *Checker) Close() {
	c.remove()
	c.endWatches()
}

// Check answers with the status of one service (see the package doc for
// the names): SERVING or NOT_SERVING, as the HTTP probe of the same thing
// answers 2xx or not. An unknown service fails with connect.CodeNotFound,
// as the protocol says.
//
// Inside a Watch stream served by [Checker.Handler], Check runs no check:
// it answers from what the registry already knows, and an unknown service
// is SERVICE_UNKNOWN rather than an error, which would end the stream.
func (c *Checker) Check(ctx context.Context, req *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
	if wr, ok := ctx.Value(watchKey{}).(*watchRequest); ok {
		return &grpchealth.CheckResponse{Status: c.watchStatus(wr, req.Service)}, nil
	}
	serving, known := c.h.HealthServiceServing(ctx, req.Service)
	if !known {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("unknown service"))
	}
	return &grpchealth.CheckResponse{Status: status(serving)}, nil
}

// watchStatus is the status a Watch stream sends next. Once the watches
// are closing, it also ends the stream's context: the handler sends this
// status, then returns.
func (c *Checker) watchStatus(wr *watchRequest, service string) grpchealth.Status {
	c.mu.Lock()
	end := c.closing || (wr.w != nil && wr.w.closing)
	c.mu.Unlock()
	// Read after closing was seen: the final status, not an older one.
	serving, known := c.h.HealthServiceStored(service)
	if end {
		wr.cancel()
	}
	if !known {
		return statusServiceUnknown
	}
	return status(serving)
}

// Watch registers onChange, which c calls each time a check or the
// lifecycle changes (outside [Checker.Handler], on a goroutine of its own
// each time, so that one that blocks holds nothing up); connect's handler then asks Check for the status and
// sends it if it differs from the last one sent. It returns the function
// that unregisters onChange, and never an error: an unknown service is
// SERVICE_UNKNOWN and the stream stays open, since the service may appear
// later (a check registered after the call), as the protocol says.
//
// Through [Checker.Handler], a Watch never runs a check: each status is
// recomputed from what the registry knows ([core.Registry.Stored]). With
// checks that run in the background, that is exactly what Check and the
// HTTP probes answer; a synchronous check changes only when a probe runs
// it. Draining is a lifecycle change: the readiness services ("" and
// "readiness") turn NOT_SERVING as /readyz turns 503. When the propagation
// delay is over, the stream sends the current status and ends (see
// [Checker.Handler]).
func (c *Checker) Watch(ctx context.Context, req *grpchealth.CheckRequest, onChange func()) (func(), error) {
	w := &watch{service: req.Service, onChange: onChange}
	wr, _ := ctx.Value(watchKey{}).(*watchRequest)
	c.mu.Lock()
	if wr != nil {
		w.cancel = wr.cancel
		wr.w = w
	}
	w.closing = c.closing
	c.watches[w] = struct{}{}
	c.mu.Unlock()
	return func() {
		w.stopped.Store(true)
		c.mu.Lock()
		delete(c.watches, w)
		c.mu.Unlock()
	}, nil
}

// changed calls every watch's onChange, outside the lock: connect's
// onChange only pokes its stream, and a caller's own may call back into c.
func (c *Checker) changed() {
	for _, w := range c.snapshot(false) {
		w.poke()
	}
}

// endWatches marks every watch as closing and pokes it: its stream asks
// Check once more, sends the status if it changed, and ends.
func (c *Checker) endWatches() {
	for _, w := range c.snapshot(true) {
		w.poke()
	}
}

// poke calls w's onChange. Through Checker.Handler it is connect's own,
// which only signals its stream: called in place. Any other (a Watch
// called directly) is untrusted code that may block or call
// runtime.Goexit: it runs on a goroutine of its own, which ends when it
// returns, so that neither Close nor the registry's delivery of events
// waits for it, and its calls may overlap (each only says "something
// changed").
func (w *watch) poke() {
	if w.cancel != nil {
		safeCall(w.onChange)
		return
	}
	go func() {
		if !w.stopped.Load() { // not started after its stop returned
			safeCall(w.onChange)
		}
	}()
}

func (c *Checker) snapshot(closing bool) []*watch {
	c.mu.Lock()
	defer c.mu.Unlock()
	if closing {
		c.closing = true
	}
	list := make([]*watch, 0, len(c.watches))
	for w := range c.watches {
		if closing {
			w.closing = true
		}
		list = append(list, w)
	}
	return list
}

// safeCall calls a caller's onChange; a panic in it must not take down the
// registry's observer delivery (which would contain it, but skip the other
// watches).
func safeCall(f func()) {
	defer func() { _ = recover() }()
	f()
}

func status(serving bool) grpchealth.Status {
	if serving {
		return grpchealth.StatusServing
	}
	return grpchealth.StatusNotServing
}

// observer pokes the watches on every check or lifecycle transition, and
// ends them when the shutdown's propagation delay is over: the moment the
// listeners close and the server's graceful stop begins.
type observer struct{ c *Checker }

func (observer) ObserveResult(core.Result) {}

func (o observer) ObserveTransition(t core.Transition) {
	switch {
	case t.Component == "shutdown" && t.Name == "propagation" && t.To == "done":
		o.c.endWatches()
	case t.Component == "check" || t.Component == "lifecycle":
		o.c.changed()
	}
}
