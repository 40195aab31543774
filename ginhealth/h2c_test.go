package ginhealth_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/ginhealth"
)

// With r.UseH2C, gin serves HTTP/2 cleartext on connections it hijacks from
// net/http, which http.Server.Shutdown neither closes nor tells to go away:
// after Serve had returned nil, an h2c client's connection still got
// answers from the "stopped" service, and its goroutines outlived Serve.
// Serve's graceful stop must end h2c connections like the others.
func TestH2CConnectionEndsWithServe(t *testing.T) {
	t.Parallel()
	h, err := core.New(core.Options{PropagationDelay: time.Millisecond, DrainTimeout: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	r := gin.New()
	r.UseH2C = true
	r.Use(ginhealth.Drain(h), gin.Recovery())
	ginhealth.Register(r, h)
	r.GET("/app", func(c *gin.Context) { c.String(http.StatusOK, "app\n") })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ginhealth.Serve(ctx, r, ln, h) }()

	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true) // h2c with prior knowledge
	tr := &http.Transport{Protocols: &protocols}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := "http://" + ln.Addr().String() + "/app"
	get := func() (string, error) {
		resp, err := c.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.Proto, err
	}
	if proto, err := get(); err != nil || proto != "HTTP/2.0" {
		t.Fatalf("GET /app before shutdown = %q, %v; want HTTP/2.0", proto, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve has not returned within 30s")
	}
	if proto, err := get(); err == nil {
		t.Errorf("GET /app after Serve returned = %s 200: the h2c connection still serves", proto)
	}
}
