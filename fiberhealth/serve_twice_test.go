package fiberhealth_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/fiberhealth"
)

// One app served on two listeners (IPv4 and IPv6, say) shares one fasthttp
// server: the first Serve's graceful stop closes both listeners, and the
// other Serve, whose serving then ends before its own stop has run, must
// not report it as a failure: the shutdown was under way. The order of the
// two stops varies from run to run; repeated, each side comes up.
func TestServeOneAppTwice(t *testing.T) {
	t.Parallel()
	for i := range 20 {
		h, err := core.New(core.Options{Logger: quiet, PropagationDelay: time.Nanosecond, DrainTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		app := newServerApp()
		app.Use(fiberhealth.Drain(h))
		fiberhealth.Register(app, h)
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 2)
		var addrs []string
		for range 2 {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addrs = append(addrs, ln.Addr().String())
			go func() { served <- fiberhealth.Serve(ctx, app, ln, h) }()
		}
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
		for _, a := range addrs { // both serve
			waitFor(t, "serving on "+a, func() bool {
				resp, err := client.Get("http://" + a + "/livez")
				if err != nil {
					return false
				}
				_ = resp.Body.Close()
				return resp.StatusCode == http.StatusOK
			})
		}
		cancel()
		for range 2 {
			if err := <-served; err != nil {
				t.Fatalf("run %d: Serve = %v; want nil", i, err)
			}
		}
	}
}
