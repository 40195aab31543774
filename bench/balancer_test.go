package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// The balancer follows readiness the way a Service's endpoints controller
// and a cloud load balancer do, scaled down: it polls each backend's
// /readyz every pollInterval, takes a backend out of rotation after
// failThreshold failed polls in a row and puts it (back) in after one
// success. It never retries a request: a request it cannot forward, or
// whose backend fails, is the client's failure.
const (
	pollInterval  = 100 * time.Millisecond
	failThreshold = 3
	pollTimeout   = time.Second
)

// balancer is a round-robin reverse proxy over the backends in rotation.
// mu guards backends and next; each backend's poller owns its fails count
// and writes its in flag under mu.
type balancer struct {
	transport *http.Transport
	poll      *http.Client

	mu       sync.Mutex
	backends []*backend
	next     int

	noBackend  atomic.Int64 // requests answered 503: nothing in rotation
	connErrors atomic.Int64 // requests whose backend connection failed (502)
}

type backend struct {
	addr  string
	proxy *httputil.ReverseProxy
	in    bool          // in rotation; guarded by balancer.mu
	ready chan struct{} // closed at the first successful poll
	out   chan struct{} // closed when failed polls first take it out of rotation
	// ctx ends at remove, which stops the poller and its poll in flight.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed by the poller when it returns
}

func newBalancer() *balancer {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &balancer{
		transport: t,
		poll:      &http.Client{Timeout: pollTimeout, Transport: t},
	}
}

// add starts polling addr; the backend takes traffic once a poll succeeds
// (wait on the returned backend's ready channel).
func (lb *balancer) add(addr string) *backend {
	u := &url.URL{Scheme: "http", Host: addr}
	be := &backend{
		addr:  addr,
		ready: make(chan struct{}),
		out:   make(chan struct{}),
		done:  make(chan struct{}),
	}
	be.ctx, be.cancel = context.WithCancel(context.Background())
	be.proxy = &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport: lb.transport,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			lb.connErrors.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	lb.mu.Lock()
	lb.backends = append(lb.backends, be)
	lb.mu.Unlock()
	go lb.follow(be)
	return be
}

// remove stops polling be and forgets it.
func (lb *balancer) remove(be *backend) {
	be.cancel()
	<-be.done
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for i, b := range lb.backends {
		if b == be {
			lb.backends = append(lb.backends[:i], lb.backends[i+1:]...)
			return
		}
	}
}

// follow is be's poller, from add until remove.
func (lb *balancer) follow(be *backend) {
	defer close(be.done)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	fails, readyOnce, outOnce := 0, false, false
	for {
		select {
		case <-be.ctx.Done():
			return
		case <-tick.C:
		}
		if lb.ready(be) {
			fails = 0
			lb.setIn(be, true)
			if !readyOnce {
				readyOnce = true
				close(be.ready)
			}
			continue
		}
		if fails++; fails >= failThreshold {
			lb.setIn(be, false)
			if readyOnce && !outOnce {
				outOnce = true
				close(be.out)
			}
		}
	}
}

func (lb *balancer) setIn(be *backend, in bool) {
	lb.mu.Lock()
	be.in = in
	lb.mu.Unlock()
}

// ready is one poll of be's /readyz.
func (lb *balancer) ready(be *backend) bool {
	req, err := http.NewRequestWithContext(be.ctx, http.MethodGet, "http://"+be.addr+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := lb.poll.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// pick returns the next backend in rotation, or nil.
func (lb *balancer) pick() *backend {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for range lb.backends {
		be := lb.backends[lb.next%len(lb.backends)]
		lb.next++
		if be.in {
			return be
		}
	}
	return nil
}

func (lb *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	be := lb.pick()
	if be == nil {
		lb.noBackend.Add(1)
		http.Error(w, "no backend in rotation", http.StatusServiceUnavailable)
		return
	}
	be.proxy.ServeHTTP(w, r)
}

// close stops every poller and closes idle connections.
func (lb *balancer) close() {
	lb.mu.Lock()
	bs := append([]*backend(nil), lb.backends...)
	lb.mu.Unlock()
	for _, be := range bs {
		lb.remove(be)
	}
	lb.transport.CloseIdleConnections()
}
