package faultproxy_test

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/probekit/probekit/integration/faultproxy"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer echoes every connection until closed, and is closed (with its
// goroutines waited for) at cleanup.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func newProxy(t *testing.T) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// roundTrip sends msg through a new connection to addr and reads what comes
// back until want bytes, EOF or the deadline.
func roundTrip(t *testing.T, addr, msg string, want int, deadline time.Duration) (string, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(deadline)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	buf := make([]byte, want)
	n, err := io.ReadFull(c, buf)
	return string(buf[:n]), err
}

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   func(*faultproxy.Proxy) error
		want    string
		wantErr func(error) bool
	}{
		{name: "pass", fault: func(*faultproxy.Proxy) error { return nil }, want: "hello"},
		{name: "refuse", fault: (*faultproxy.Proxy).Refuse,
			wantErr: func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
		{name: "blackhole", fault: (*faultproxy.Proxy).Blackhole,
			wantErr: func(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }},
		{name: "cut", fault: func(p *faultproxy.Proxy) error { return p.CutAfter(3) }, want: "hel",
			wantErr: func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{name: "cut at once", fault: func(p *faultproxy.Proxy) error { return p.CutAfter(0) },
			wantErr: func(err error) bool { return errors.Is(err, io.EOF) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProxy(t)
			if err := tt.fault(p); err != nil {
				t.Fatal(err)
			}
			got, err := roundTrip(t, p.Addr(), "hello", 5, 300*time.Millisecond)
			if got != tt.want {
				t.Errorf("read %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("err = %v, want none", err)
			case tt.wantErr != nil && !tt.wantErr(err):
				t.Errorf("err = %v, not the expected kind", err)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	const d = 100 * time.Millisecond
	if err := p.SetLatency(d); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err := roundTrip(t, p.Addr(), "hello", 5, 5*time.Second)
	if err != nil || got != "hello" {
		t.Fatalf("round trip = %q, %v", got, err)
	}
	// A lower bound only: the delay is added, noise can only lengthen it.
	if elapsed := time.Since(start); elapsed < d {
		t.Fatalf("reply after %v, want at least the %v latency", elapsed, d)
	}
}

func TestHealAfterRefuseKeepsTheAddress(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	addr := p.Addr()
	if err := p.Refuse(); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(t, addr, "x", 1, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("while refusing: %v, want connection refused", err)
	}
	if err := p.Blackhole(); err == nil {
		t.Fatal("Blackhole while refusing: want an error asking to Heal first")
	}
	if err := p.Heal(); err != nil {
		t.Fatal(err)
	}
	if p.Addr() != addr {
		t.Fatalf("address changed from %s to %s", addr, p.Addr())
	}
	if got, err := roundTrip(t, addr, "back", 4, 2*time.Second); err != nil || got != "back" {
		t.Fatalf("after Heal: %q, %v", got, err)
	}
}

func TestFaultsReachOpenConnections(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := io.WriteString(c, "ab"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if err := p.Refuse(); err != nil {
		t.Fatal(err)
	}
	// The open connection is closed: a read ends with EOF or a reset.
	if _, err := io.ReadFull(c, buf); err == nil {
		t.Fatal("read on a refused proxy's connection succeeded")
	}
}

func TestCloseIsIdempotentAndFinal(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	// An open connection must not keep Close waiting.
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"Heal": p.Heal, "Refuse": p.Refuse, "Blackhole": p.Blackhole,
		"CutAfter":   func() error { return p.CutAfter(1) },
		"SetLatency": func() error { return p.SetLatency(time.Second) },
	} {
		if err := f(); !errors.Is(err, faultproxy.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	if err := p.CutAfter(-1); err == nil {
		t.Error("CutAfter(-1): want an error")
	}
	if err := p.SetLatency(-time.Second); err == nil {
		t.Error("SetLatency(-1s): want an error")
	}
}
