package faultproxy

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Fault is what the proxy does to traffic.
type Fault int

// The faults. Each applies to new connections and, from its next chunk of
// data on, to connections already open.
const (
	// Pass forwards bytes both ways (after Latency, if set). It is the
	// state a new Proxy starts in and the state Heal returns to.
	Pass Fault = iota
	// Refuse closes the listening socket, so that connection attempts are
	// refused by the kernel, and closes every open connection (as when the
	// server crashes). The address stays reserved for Heal.
	Refuse
	// Blackhole accepts connections and swallows every byte in both
	// directions: a server that accepts and never answers, or a network
	// that drops packets. Connections accepted while blackholed stay
	// swallowed after Heal, like connections broken by a partition.
	Blackhole
	// Cut forwards a fixed number of reply bytes (see CutAfter) on each
	// connection, then closes both sides: a connection lost mid-reply.
	Cut
)

// String returns the fault's name.
func (f Fault) String() string {
	switch f {
	case Pass:
		return "pass"
	case Refuse:
		return "refuse"
	case Blackhole:
		return "blackhole"
	case Cut:
		return "cut"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Proxy is a loopback TCP proxy to one upstream address with switchable
// faults. Its methods are safe for concurrent use.
//
// Goroutines: one accepts connections while the proxy listens; each proxied
// connection has two, one per direction. All of them end when the proxy is
// closed, and Close waits for them.
type Proxy struct {
	target string
	addr   string        // the proxy's own address, kept across Refuse
	done   chan struct{} // closed by Close; ends latency waits
	wg     sync.WaitGroup

	mu       sync.Mutex // guards the fields below
	ln       net.Listener
	fault    Fault
	latency  time.Duration
	cutAfter int
	links    map[*link]struct{}
	closed   bool
	accepted int
}

// New starts a proxy on a free loopback port that forwards to target
// ("host:port"). The upstream is dialled for each accepted connection, not
// now, so New succeeds even if target is down.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{
		target: target,
		addr:   ln.Addr().String(),
		done:   make(chan struct{}),
		links:  make(map[*link]struct{}),
	}
	p.listenLocked(ln)
	return p, nil
}

// Addr returns the address clients connect to ("127.0.0.1:port"). It does
// not change over the proxy's life.
func (p *Proxy) Addr() string { return p.addr }

// Accepted returns how many connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Heal returns to Pass without latency, listening again if the proxy
// refused connections.
func (p *Proxy) Heal() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.usableLocked(); err != nil {
		return err
	}
	p.fault, p.latency = Pass, 0
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("faultproxy: listen again on %s: %w", p.addr, err)
	}
	p.listenLocked(ln)
	return nil
}

// Refuse makes connection attempts fail with "connection refused" and closes
// the connections that are open.
func (p *Proxy) Refuse() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.usableLocked(); err != nil {
		return err
	}
	p.fault = Refuse
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for l := range p.links {
		l.close()
	}
	return nil
}

// Blackhole makes the proxy accept connections and swallow all data.
func (p *Proxy) Blackhole() error { return p.set(Blackhole, 0) }

// CutAfter makes every connection close after it has forwarded n more reply
// bytes (server to client) from now on, or, for a new connection, from its
// start. n must not be negative; 0 closes at the first reply byte.
func (p *Proxy) CutAfter(n int) error {
	if n < 0 {
		return fmt.Errorf("faultproxy: CutAfter: n is negative (%d)", n)
	}
	return p.set(Cut, n)
}

// SetLatency delays every chunk of reply data (server to client) by d, on top
// of the current fault. 0 removes the delay. Requests are not delayed.
func (p *Proxy) SetLatency(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("faultproxy: SetLatency: d is negative (%v)", d)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.usableLocked(); err != nil {
		return err
	}
	p.latency = d
	return nil
}

// ErrClosed is returned by the methods of a closed Proxy.
var ErrClosed = errors.New("faultproxy: proxy closed")

// Close stops listening, closes every connection and waits for the proxy's
// goroutines to end. It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for l := range p.links {
		l.close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

// set switches to a fault that keeps the listener (Pass, Blackhole, Cut).
func (p *Proxy) set(f Fault, cutAfter int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.usableLocked(); err != nil {
		return err
	}
	if p.ln == nil {
		return errors.New("faultproxy: proxy refuses connections; Heal first")
	}
	p.fault, p.cutAfter = f, cutAfter
	for l := range p.links {
		l.mu.Lock()
		l.cutLeft = cutAfter
		l.mu.Unlock()
	}
	return nil
}

func (p *Proxy) usableLocked() error {
	if p.closed {
		return ErrClosed
	}
	return nil
}

// listenLocked starts the accept loop on ln. p.mu is held (or p is new).
func (p *Proxy) listenLocked(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by Refuse or Close
			}
			p.handle(c)
		}
	}()
}

// handle sets up one accepted connection.
func (p *Proxy) handle(client net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.fault == Refuse {
		client.Close() // accepted just before the listener closed
		return
	}
	p.accepted++
	l := &link{client: client, cutLeft: p.cutAfter, done: make(chan struct{})}
	p.links[l] = struct{}{}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.run(l)
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
}

// run proxies one connection until either side closes or a fault cuts it.
func (p *Proxy) run(l *link) {
	defer l.close()
	if p.current().fault == Blackhole {
		swallow(l.client)
		return
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	server, err := d.Dial("tcp", p.target)
	if err != nil {
		return // the client sees the connection closed, as with a dead upstream
	}
	if !l.attach(server) {
		server.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer l.close()
		p.pipe(l, server, l.client, true)
	}()
	p.pipe(l, l.client, server, false)
	l.close()
	wg.Wait()
}

// state is a snapshot of the settings a chunk of data is subject to.
type state struct {
	fault   Fault
	latency time.Duration
}

func (p *Proxy) current() state {
	p.mu.Lock()
	defer p.mu.Unlock()
	return state{p.fault, p.latency}
}

// pipe copies src to dst applying the current fault to each chunk. reply is
// true for the server-to-client direction, the one that Cut and latency act
// on. It returns when either side fails or the link is closed.
func (p *Proxy) pipe(l *link, src, dst net.Conn, reply bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			s := p.current()
			switch {
			case s.fault == Blackhole:
				chunk = nil
			case s.fault == Cut && reply:
				var last bool
				chunk, last = l.takeCut(chunk)
				if last {
					_, _ = dst.Write(chunk) // the cut ends the connection either way
					return
				}
			}
			if reply && s.latency > 0 && len(chunk) > 0 {
				t := time.NewTimer(s.latency)
				select {
				case <-t.C:
				case <-l.done:
					t.Stop()
					return
				case <-p.done:
					t.Stop()
					return
				}
			}
			if len(chunk) > 0 {
				if _, err := dst.Write(chunk); err != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// swallow reads c until it is closed, discarding everything.
func swallow(c net.Conn) {
	buf := make([]byte, 4<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// link is one proxied connection.
type link struct {
	client net.Conn

	done chan struct{} // closed by close

	mu      sync.Mutex // guards the fields below
	server  net.Conn   // nil until dialled
	cutLeft int        // reply bytes left before a Cut closes the link
	isDone  bool
}

// attach sets the upstream connection; false if the link is already closed.
func (l *link) attach(server net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isDone {
		return false
	}
	l.server = server
	return true
}

// takeCut returns the part of chunk that may still pass under Cut, and
// whether the link must close after it.
func (l *link) takeCut(chunk []byte) ([]byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(chunk) < l.cutLeft {
		l.cutLeft -= len(chunk)
		return chunk, false
	}
	chunk = chunk[:l.cutLeft]
	l.cutLeft = 0
	return chunk, true
}

// close closes both connections; safe to call many times.
func (l *link) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isDone {
		return
	}
	l.isDone = true
	l.client.Close()
	if l.server != nil {
		l.server.Close()
	}
	close(l.done)
}
