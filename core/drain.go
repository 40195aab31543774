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
type InFlight struct {
	n       atomic.Int64
	waiting atomic.Bool   // a Wait is in progress
	zero    chan struct{} // capacity 1; poked when n reaches 0 during a Wait
	init    atomic.Bool
}

// Enter records the start of a request.
func (f *InFlight) Enter() { f.n.Add(1) }

// Leave records the end of a request started with Enter.
func (f *InFlight) Leave() {
	if f.n.Add(-1) == 0 && f.waiting.Load() {
		select {
		case f.zero <- struct{}{}:
		default:
		}
	}
}

// Count returns the number of requests in progress.
func (f *InFlight) Count() int64 { return f.n.Load() }

// Wait blocks until no request is in progress or ctx ends. It returns nil
// when the count reached zero, else ctx's error. Only one Wait may run at a
// time; the shutdown sequence is its only caller.
func (f *InFlight) Wait(ctx context.Context) error {
	if f.init.CompareAndSwap(false, true) {
		f.zero = make(chan struct{}, 1)
	}
	f.waiting.Store(true)
	defer f.waiting.Store(false)
	for f.n.Load() > 0 {
		select {
		case <-f.zero:
		case <-ctx.Done():
			if f.n.Load() <= 0 {
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
func (r *Registry) Drain(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.IsProbePath(req.URL.Path) {
			next.ServeHTTP(w, req)
			return
		}
		f := r.InFlight()
		f.Enter()
		defer f.Leave()
		if r.Draining() {
			w.Header()["Connection"] = hdrClose
		}
		next.ServeHTTP(w, req)
	})
}

var hdrClose = []string{"close"}

// MountedAt records that the probe endpoints are also served under prefix
// (such as "/internal"), so that IsProbePath, and with it every drain
// middleware, recognises them there. Adapters' Register calls it; the root
// mount is always known.
func (r *Registry) MountedAt(prefix string) {
	prefix = strings.TrimRight(prefix, "/")
	if prefix == "" || r == nil {
		return
	}
	for {
		old := r.prefixes.Load()
		var list []string
		if old != nil {
			if slices.Contains(*old, prefix) {
				return
			}
			list = slices.Clone(*old)
		}
		list = append(list, prefix)
		if r.prefixes.CompareAndSwap(old, &list) {
			return
		}
	}
}

// IsProbePath reports whether path is one of the probe endpoints, or a
// per-check path, at the root or under a prefix given to MountedAt. It does
// not allocate.
func (r *Registry) IsProbePath(path string) bool {
	if _, _, ok := matchPath(path); ok {
		return true
	}
	if r == nil {
		return false
	}
	if list := r.prefixes.Load(); list != nil {
		for _, p := range *list {
			if rest, ok := strings.CutPrefix(path, p); ok {
				if _, _, ok := matchPath(rest); ok {
					return true
				}
			}
		}
	}
	return false
}
