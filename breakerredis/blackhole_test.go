package breakerredis_test

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/redis/go-redis/v9"
)

// holeProxy forwards TCP to the test Redis until hole is set; then it
// swallows what clients send, and Redis never answers: a partition that
// drops packets. Closed at cleanup, which ends every connection.
type holeProxy struct {
	ln    net.Listener
	hole  atomic.Bool
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newHoleProxy(t *testing.T) *holeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &holeProxy{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r, err := net.Dial("tcp", redisAddr())
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, r)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); _, _ = io.Copy(c, r) }()
			go func() {
				defer p.wg.Done()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if !p.hole.Load() {
						if _, err := r.Write(buf[:n]); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return p
}

func (p *holeProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Options.Timeout bounds every Redis operation "whatever the client's own
// timeouts": with a client that has none (the socket read blocks for good
// on a Redis that went silent), the breaker still goes local, as with one
// that has them.
func TestSilentRedisMeansLocalModeWithAClientWithoutTimeouts(t *testing.T) {
	t.Parallel()
	_, prefix := newClient(t)
	p := newHoleProxy(t)
	client := redis.NewClient(&redis.Options{Addr: p.ln.Addr().String(), ReadTimeout: -1, WriteTimeout: -1, MaxRetries: -1})
	f, err := breakerredis.New(client, "payments", breaker.Settings{FailureThreshold: 3, Retry: breaker.Retry{MaxAttempts: 1}},
		breakerredis.Options{Prefix: prefix, SyncInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.close() // ends the reads blocked for good, so that Close returns
		_ = f.Close()
		_ = client.Close()
	})
	if got := f.Stats().Mode; got != breakerredis.Shared {
		t.Fatalf("mode %v at start, want shared", got)
	}
	p.hole.Store(true)
	eventually(t, "local mode", func() bool { return f.Stats().Mode == breakerredis.Local })
}
