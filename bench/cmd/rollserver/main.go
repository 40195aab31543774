// Command rollserver is the service bench's rolling-restart test replaces
// under load: a /work route and the probe routes on one framework, served
// by that framework's probekit adapter (Serve, which is Run on a listener)
// with the given shutdown settings; or, as -framework naive, a plain
// http.Server whose readiness always answers 200 and that calls Shutdown on
// SIGTERM at once: the baseline. It listens on a free loopback port and
// prints "listening on ADDR" on stdout.
//
// It is a program of its own, without the examples' SQLite, so that the
// test builds it in seconds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/echohealth"
	"github.com/probekit/probekit/fiberhealth"
	"github.com/probekit/probekit/ginhealth"
)

// workTime is how long /work takes, so that requests are in flight when
// the listener closes.
const workTime = 2 * time.Millisecond

func main() {
	framework := flag.String("framework", "nethttp", "chi, gin, echo, fiber, nethttp, or naive (no probekit)")
	propagation := flag.Duration("propagation-delay", 3*time.Second, "core.Options.PropagationDelay")
	drain := flag.Duration("drain-timeout", 5*time.Second, "core.Options.DrainTimeout")
	flag.Parse()
	if err := run(*framework, core.Options{
		Service:          "rollserver",
		Logger:           slog.New(slog.NewTextHandler(os.Stderr, nil)),
		PropagationDelay: *propagation,
		DrainTimeout:     *drain,
	}); err != nil {
		log.Fatal(err)
	}
}

func run(framework string, opts core.Options) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	if framework == "naive" {
		return naive(ln)
	}
	h, err := core.New(opts)
	if err != nil {
		_ = ln.Close()
		return err
	}
	ctx := context.Background() // the adapters stop on SIGTERM themselves
	switch framework {
	case "nethttp":
		mux := http.NewServeMux()
		mux.Handle("/", h.Handler())
		mux.HandleFunc("/work", work)
		return h.Serve(ctx, &http.Server{Handler: h.Drain(mux), ReadHeaderTimeout: 10 * time.Second}, ln)
	case "chi":
		r := chi.NewRouter()
		r.Use(chihealth.Drain(h))
		chihealth.Register(r, h)
		r.HandleFunc("/work", work)
		return chihealth.Serve(ctx, r, ln, h)
	case "gin":
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		r.Use(ginhealth.Drain(h))
		ginhealth.Register(r, h)
		r.Any("/work", gin.WrapF(work))
		return ginhealth.Serve(ctx, r, ln, h)
	case "echo":
		e := echo.New()
		e.HideBanner, e.HidePort = true, true
		e.Use(echohealth.Drain(h))
		echohealth.Register(e, h)
		e.Any("/work", echo.WrapHandler(http.HandlerFunc(work)))
		return echohealth.Serve(ctx, e, ln, h)
	case "fiber":
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		app.Use(fiberhealth.Drain(h))
		fiberhealth.Register(app, h)
		app.All("/work", func(c *fiber.Ctx) error {
			time.Sleep(workTime)
			return c.SendString("ok")
		})
		return fiberhealth.Serve(ctx, app, ln, h)
	}
	_ = ln.Close()
	return fmt.Errorf("-framework %q: want chi, gin, echo, fiber, nethttp or naive", framework)
}

// work reads the request body and answers "ok" after workTime.
func work(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	time.Sleep(workTime)
	_, _ = io.WriteString(w, "ok")
}

// naive is what a service without readiness-aware shutdown does: on
// SIGTERM, http.Server.Shutdown at once (it closes the listener and waits
// for the requests in flight); its readiness never fails.
func naive(ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/work", work)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
