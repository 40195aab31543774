package grpchealth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/probekit/probekit/core"
	"google.golang.org/grpc"
)

// Run listens on addr and serves g until ctx ends or the process gets
// SIGTERM or SIGINT, then runs the shutdown sequence of hs's registry (see
// [core.Registry.Shutdown]): the readiness services turn NOT_SERVING at
// once (and /readyz 503, if the process also serves HTTP), g keeps serving
// for Options.PropagationDelay, then hs is closed (its Watch streams end),
// and g.GracefulStop refuses new RPCs and waits for those in flight up to
// Options.DrainTimeout. If they have not finished by then, g.Stop cancels
// them, and the error wraps a *core.DrainTimeoutError that says how many
// were abandoned (see [Stop]). Then the shutdown hooks
// run. Run returns nil after a clean shutdown.
//
// A process that serves HTTP too runs both through the same registry, each
// with its own Run, in two goroutines: whichever starts the sequence, both
// servers stop in it (see [core.Registry.Run]).
func Run(ctx context.Context, g *grpc.Server, addr string, hs *Server) error {
	if err := check(g, hs); err != nil {
		return err
	}
	return run(ctx, g, hs, func() error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		return serve(g, ln)
	})
}

// Serve is Run on a listener the caller opened (tests use port 0). It
// closes ln.
func Serve(ctx context.Context, g *grpc.Server, ln net.Listener, hs *Server) error {
	if err := check(g, hs); err != nil {
		_ = ln.Close()
		return err
	}
	return run(ctx, g, hs, func() error { return serve(g, ln) })
}

// run is the registry's Run with Stop as the graceful stop. Whatever way
// Run returned (a server that stopped serving by itself, a second signal
// that cut the sequence short), nothing of g or hs is left running after it:
// Stop after a graceful stop does nothing.
func run(ctx context.Context, g *grpc.Server, hs *Server, serve func() error) error {
	err := hs.h.Run(ctx, serve, Stop(g, hs))
	hs.Close()
	g.Stop()
	return err
}

// serve is g.Serve, where a server stopped before it began is no error: the
// shutdown sequence got there first.
func serve(g *grpc.Server, ln net.Listener) error {
	err := g.Serve(ln)
	if errors.Is(err, grpc.ErrServerStopped) {
		_ = ln.Close()
		return nil
	}
	return err
}

func check(g *grpc.Server, hs *Server) error {
	switch {
	case g == nil:
		return errors.New("grpchealth: grpc server is nil")
	case hs == nil:
		return errors.New("grpchealth: health server is nil")
	}
	return nil
}

// Stop returns the graceful stop that Run and Serve hand to the registry,
// for a caller that runs g through [core.Registry.Run] or Shutdown itself.
// It closes hs (ending its Watch streams, which GracefulStop would wait
// for), then calls g.GracefulStop. If ctx ends first (the drain timeout),
// it calls g.Stop, which closes every connection and cancels the RPCs still
// running, and returns a *core.DrainTimeoutError whose Abandoned is the
// number of RPCs in flight at that moment.
//
// That error deliberately does not wrap context.DeadlineExceeded: the
// registry would count the requests in flight after it returned, when the
// canceled handlers may already have returned, so the abandoned RPCs
// would be reported as zero. Counted here, before Stop, they are not lost:
// the registry takes the *core.DrainTimeoutError as a graceful stop that
// timed out, with this count, and logs and reports it to its observers
// like any abandoned drain.
func Stop(g *grpc.Server, hs *Server) func(context.Context) error {
	return func(ctx context.Context) error {
		begin := time.Now()
		hs.Close()
		stopped := make(chan struct{})
		go func() { // ends when GracefulStop returns; Stop below ends it
			g.GracefulStop()
			close(stopped)
		}()
		select {
		case <-stopped:
			return nil
		case <-ctx.Done():
		}
		abandoned := hs.h.InFlight().Count()
		g.Stop()
		<-stopped // Stop closes every connection, so GracefulStop returns
		timeout := time.Since(begin)
		if deadline, ok := ctx.Deadline(); ok {
			timeout = deadline.Sub(begin)
		}
		return fmt.Errorf("grpchealth: GracefulStop did not finish, RPCs canceled: %w",
			&core.DrainTimeoutError{Abandoned: abandoned, Timeout: timeout.Round(time.Millisecond)})
	}
}
