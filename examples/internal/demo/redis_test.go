package demo

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// fakeRedis serves one canned reply (or none, when reply is "") to every
// connection on a loopback port, until the test ends. It returns the address.
func fakeRedis(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() { // the accept loop; ends when ln is closed
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { // one connection; ends at the reply or when the test ends
				defer wg.Done()
				defer c.Close()
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil || !strings.HasPrefix(line, "*1") {
					return
				}
				if reply == "" {
					<-done
					return
				}
				_, _ = c.Write([]byte(reply))
			}()
		}
	}()
	return ln.Addr().String()
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRedisPing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		addr       func(t *testing.T) string
		wantReason string // "" means healthy
	}{
		{"pong", func(t *testing.T) string { return fakeRedis(t, "+PONG\r\n") }, ""},
		{"auth required still answers", func(t *testing.T) string { return fakeRedis(t, "-NOAUTH Authentication required.\r\n") }, ""},
		{"not redis", func(t *testing.T) string { return fakeRedis(t, "HTTP/1.1 400 Bad Request\r\n") }, "redis: unexpected reply"},
		{"no reply", func(t *testing.T) string { return fakeRedis(t, "") }, "redis: timeout"},
		{"nothing listening", closedAddr, "redis: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			err := redisPing(tt.addr(t))(ctx)
			if got := core.Reason(err); got != tt.wantReason {
				t.Errorf("reason = %q (err %v), want %q", got, err, tt.wantReason)
			}
		})
	}
}
