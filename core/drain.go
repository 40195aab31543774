package core

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
)

// InFlight counts requests in progress so that shutdown can wait for them.
// Every adapter's drain middleware calls Enter when a request starts and
// Leave when it ends (also when the handler panics). Enter and Leave are a
// single atomic add each: no lock, no allocation. The zero value is ready to
// use; a Registry owns one, see [Registry.InFlight].
//
// The same word also counts arrivals (every Enter), which the adaptive
// propagation delay (Options.QuietPeriod) samples to see whether requests
// still arrive: it costs Enter nothing more.
//
// The count has 32 bits: it is exact from -2^31 to 2^31-1 requests in
// flight (far above what memory allows: 2^31 handlers need terabytes of
// stacks). Past that it wraps and Wait sees no request in flight, which a
// program could reach only by calling Enter 2^31 times more than Leave
// (or Leave more than Enter): balance every Enter with one Leave.
type InFlight struct {
	// n packs two counters into one word, so that Enter stays one atomic
	// add: the low 32 bits are the requests in flight, as a signed int32
	// (a Leave without its Enter makes them negative, as it always did);
	// the high 32 bits count arrivals, modulo 2^32.
	n       atomic.Int64
	waiting atomic.Bool   // a Wait is in progress
	zero    chan struct{} // capacity 1; poked when n reaches 0 during a Wait
	init    atomic.Bool
}

// arrival is what Enter adds: one arrival, one request in flight.
const arrival = 1<<32 + 1

// inFlightOf and arrivalsOf unpack a value of InFlight.n.
func inFlightOf(v int64) int64  { return int64(int32(uint32(v))) }
func arrivalsOf(v int64) uint32 { return uint32((v - inFlightOf(v)) >> 32) }

// Enter records the start of a request.
func (f *InFlight) Enter() { f.n.Add(arrival) }

// Leave records the end of a request started with Enter.
func (f *InFlight) Leave() {
	if inFlightOf(f.n.Add(-1)) == 0 && f.waiting.Load() {
		select {
		case f.zero <- struct{}{}:
		default:
		}
	}
}

// Count returns the number of requests in progress.
func (f *InFlight) Count() int64 { return inFlightOf(f.n.Load()) }

// arrivals returns the number of Enter calls so far, modulo 2^32: two
// readings differ exactly when a request arrived in between (unless 2^32
// arrived, which no sampling interval of the sequence allows).
func (f *InFlight) arrivals() uint32 { return arrivalsOf(f.n.Load()) }

// Wait blocks until no request is in progress or ctx ends. It returns nil
// when the count reached zero, else ctx's error. Only one Wait may run at a
// time; the shutdown sequence is its only caller.
func (f *InFlight) Wait(ctx context.Context) error {
	if f.init.CompareAndSwap(false, true) {
		f.zero = make(chan struct{}, 1)
	}
	f.waiting.Store(true)
	defer f.waiting.Store(false)
	for f.Count() > 0 {
		select {
		case <-f.zero:
		case <-ctx.Done():
			if f.Count() <= 0 {
				return nil
			}
			return ctx.Err()
		}
	}
	return nil
}

// Drain is the net/http drain middleware: it counts each request in the
// registry's InFlight (also when next panics) so that Shutdown can wait for
// it, and while draining it sets "Connection: close" so keep-alive clients
// reconnect to another pod. Probe requests (see [Registry.IsProbePath]) are
// not counted: a probe must never hold shutdown up.
//
// A request is counted while its handler runs, and only then. That covers
// a streamed response written and flushed by the handler (server-sent
// events through http.Flusher, say): it holds the drain open until the
// handler returns, and a stream still open at the drain timeout is reported
// in the [DrainTimeoutError]. It also covers a handler that hijacks the
// connection and serves it itself (a websocket loop inside the handler),
// although http.Server.Shutdown does not track hijacked connections. Not
// counted, and not waited for: a hijacked connection handed to a goroutine
// once the handler has returned, and any other goroutine a handler starts;
// give those an [Registry.OnShutdown] hook.
//
// A handler behind Drain that shuts the service down (preStop, admin)
// calls [Registry.StartShutdown]: [Registry.Shutdown] would wait for its
// own request.
func (r *Registry) Drain(next http.Handler) http.Handler {
	return &drainHandler{r: r, in: r.InFlight(), next: next}
}

// drainHandler is Drain's handler. A struct rather than a closure, so that
// the counter is resolved once (InFlight checks for a nil registry).
type drainHandler struct {
	r    *Registry
	in   *InFlight
	next http.Handler
}

func (d *drainHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if d.r.IsProbePath(RoutedPath(req.URL)) {
		d.next.ServeHTTP(w, req)
		return
	}
	d.in.Enter()
	defer d.in.Leave()
	if d.r.Draining() {
		w.Header()["Connection"] = hdrClose
	}
	d.next.ServeHTTP(w, req)
}

var hdrClose = []string{"close"}

// MountedAt records a mount point of the probe endpoints: a prefix such as
// "/internal", or "" (or "/") for the root. A prefix without its leading
// slash ("internal") means the same as with it, and trailing slashes are
// dropped. IsProbePath, and with it every
// drain middleware, recognises the probes at the recorded mount points only;
// until the first MountedAt, the root is assumed. Handler, HandlerAt and the
// adapters' Register call it for where they mount the probes; call it
// yourself only for a mount they cannot see (a fiber app mounted after
// Register, say). chi's Register inside a sub-router without
// Options.Prefix, and fiber's on an app mounted later, record the root as
// well, so the root paths stay probe paths there.
func (r *Registry) MountedAt(prefix string) {
	if r == nil {
		return
	}
	prefix = mountPrefix(prefix)
	for {
		old := r.mounts.Load()
		var next mounts
		if old != nil {
			if slices.Contains(old.prefixes, prefix) {
				return
			}
			next = *old
			next.prefixes = slices.Clone(old.prefixes)
		}
		next.add(prefix)
		if r.mounts.CompareAndSwap(old, &next) {
			return
		}
	}
}

// mounts is the set of mount points MountedAt recorded, with what lets
// IsProbePath turn down most other paths at a glance: the drain middlewares
// ask it of every request.
type mounts struct {
	prefixes []string // "" is the root
	// second is true for each byte that can follow the leading slash of a
	// probe path under one of prefixes: l, r, s or h for the root, the
	// first letter of the prefix otherwise.
	second [256]bool
}

// add records prefix, as mountPrefix returns it.
func (m *mounts) add(prefix string) {
	m.prefixes = append(m.prefixes, prefix)
	if prefix != "" {
		m.second[prefix[1]] = true
		return
	}
	for _, e := range endpoints {
		m.second[e.Path[1]] = true
	}
}

// mountPrefix is prefix as the paths of requests start with it: with a
// leading slash and without trailing ones; "" for the root.
func mountPrefix(prefix string) string {
	prefix = strings.TrimRight(prefix, "/")
	if prefix != "" && prefix[0] != '/' {
		prefix = "/" + prefix
	}
	return prefix
}

// IsProbePath reports whether path is one of the probe endpoints, or a
// per-check path, under a mount point recorded by MountedAt (at the root
// while none is). It does not allocate. Pass the path routers match on:
// the escaped path (URL.RawPath) when the request has one, else URL.Path,
// so that "/ready%7A", which no router takes for /readyz, is counted like
// any request.
func (r *Registry) IsProbePath(path string) bool {
	// Most paths are turned down at a glance, since the drain middlewares
	// ask of every request: a probe path is "/" and at least five more
	// bytes (/ready), the first of which a mount point allows.
	if len(path) < 6 || path[0] != '/' {
		return false
	}
	var m *mounts
	if r != nil {
		m = r.mounts.Load()
	}
	if m != nil && !m.second[path[1]] {
		return false
	}
	return isProbePathUnder(m, path)
}

// isProbePathUnder reports whether path is a probe path under one of m's
// mount points, or at the root when m is nil.
func isProbePathUnder(m *mounts, path string) bool {
	if m == nil {
		return IsEndpointPath(path)
	}
	for _, p := range m.prefixes {
		if rest, ok := strings.CutPrefix(path, p); ok && IsEndpointPath(rest) {
			return true
		}
	}
	return false
}

// IsEndpointPath reports whether path, taken relative to a mount point, is
// a probe endpoint (see [Endpoints]) or a per-check path below one:
// "/readyz", "/livez/postgres". It does not allocate.
func IsEndpointPath(path string) bool {
	_, _, ok := matchPath(path)
	return ok
}
