package gorillamux_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/probekit/probekit/core"
)

// The Drain method value is a mux.MiddlewareFunc as it is.
var _ mux.MiddlewareFunc = (*core.Registry)(nil).Drain

// service is a gorilla/mux router with the probes at the root and under
// /internal, a slow route held in flight until the server's graceful stop
// begins, and an admin route that starts the shutdown.
type service struct {
	h       *core.Registry
	srv     *http.Server
	ln      net.Listener
	base    string
	entered chan struct{}
	served  chan error
}

func newService() (*service, error) {
	h, err := core.New(core.Options{Logger: slog.New(slog.DiscardHandler), PropagationDelay: time.Nanosecond})
	if err != nil {
		return nil, err
	}
	_ = h.Register(core.Check{Name: "postgres", Check: func(context.Context) error { return nil }})
	_ = h.Register(core.Check{Name: "redis", Optional: true, Check: func(context.Context) error {
		return core.Unhealthy("redis: connection refused", nil)
	}})
	s := &service{h: h, entered: make(chan struct{}, 8), served: make(chan error, 1)}
	release := make(chan struct{})

	r := mux.NewRouter()
	r.Use(h.Drain) // outermost: every matched route is counted, probes excepted
	r.HandleFunc("/orders/{id}", func(w http.ResponseWriter, req *http.Request) {
		s.entered <- struct{}{}
		<-release // in flight until the server's graceful stop begins
		fmt.Fprintf(w, "order %s", mux.Vars(req)["id"])
	}).Methods(http.MethodGet)
	r.HandleFunc("/admin/shutdown", func(http.ResponseWriter, *http.Request) {
		_ = h.StartShutdown() // returns at once: Shutdown would wait for this very request
	}).Methods(http.MethodPost)
	r.PathPrefix("/internal/").Handler(h.HandlerAt("/internal"))
	r.PathPrefix("/").Handler(h.Handler()) // last: gorilla/mux matches in order

	s.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	s.srv.RegisterOnShutdown(func() { close(release) }) // called as srv.Shutdown begins
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.base = "http://" + s.ln.Addr().String()
	return s, nil
}

func (s *service) serve(ctx context.Context) {
	go func() { s.served <- s.h.Serve(ctx, s.srv, s.ln) }()
}

// get answers a request's status code and body on one line.
func get(method, url string) string {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return err.Error()
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return strings.TrimSpace(fmt.Sprintf("%d %s", res.StatusCode, strings.ReplaceAll(strings.TrimSpace(string(body)), "\n", " | ")))
}

// The probe routes answer through the router exactly as core's handler
// does, at the root and under a prefix, per check, with ?verbose and
// ?exclude; and the router, run by the registry, shuts down by either way
// with the request in flight served to the end.
func TestGorillaMux(t *testing.T) {
	t.Parallel()
	probes := []struct{ path, want string }{
		{"/readyz?verbose", "200 [+]postgres ok | [-]redis degraded: redis: connection refused | readyz check passed"},
		{"/readyz?verbose&exclude=redis", "200 [+]postgres ok | [+]redis excluded: ok | readyz check passed"},
		{"/readyz?exclude=nope", `400 exclude: "nope" is not a readyz check`},
		{"/readyz/postgres?verbose", "200 [+]postgres ok | readyz check passed"},
		{"/readyz/redis?verbose", "503 [-]redis degraded: redis: connection refused | readyz check failed"},
		{"/livez/nope", `404 unknown livez check "nope"`},
		{"/internal/livez?verbose", "200 livez check passed"},
		{"/internal/readyz/postgres?verbose", "200 [+]postgres ok | readyz check passed"},
	}
	for _, how := range []string{"cancel", "admin route"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			s, err := newService()
			if err != nil {
				t.Fatal(err)
			}
			defer s.h.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s.serve(ctx)
			for _, p := range probes {
				if got := get(http.MethodGet, s.base+p.path); got != p.want {
					t.Errorf("GET %s: %s; want %s", p.path, got, p.want)
				}
			}
			order := make(chan string, 1)
			go func() { order <- get(http.MethodGet, s.base+"/orders/7") }()
			<-s.entered
			// Counted by Drain as the router's middleware; the probes were not.
			if n := s.h.InFlight().Count(); n != 1 {
				t.Errorf("in flight: %d; want 1", n)
			}
			switch how {
			case "cancel":
				cancel()
			case "admin route":
				if got := get(http.MethodPost, s.base+"/admin/shutdown"); got != "200" {
					t.Fatalf("admin route: %s", got)
				}
			}
			if got, want := <-order, "200 order 7"; got != want {
				t.Errorf("request in flight: %s; want %s", got, want)
			}
			if err := <-s.served; err != nil {
				t.Errorf("Serve: %v", err)
			}
			if s.h.State() != core.StateStopped {
				t.Errorf("state %v; want stopped", s.h.State())
			}
		})
	}
}

// gorilla/mux with probekit: no adapter, three lines.
func Example() {
	s, err := newService()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.h.Close()
	s.serve(context.Background())
	fmt.Println(get(http.MethodGet, s.base+"/readyz/postgres?verbose"))
	order := make(chan string, 1)
	go func() { order <- get(http.MethodGet, s.base+"/orders/7") }()
	<-s.entered
	fmt.Println(get(http.MethodPost, s.base+"/admin/shutdown"))
	fmt.Println(<-order)
	fmt.Println("Serve:", <-s.served)
	// Output:
	// 200 [+]postgres ok | readyz check passed
	// 200
	// 200 order 7
	// Serve: <nil>
}
