package ginhealth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/probekit/probekit/core"
)

// ReadHeaderTimeout is the http.Server.ReadHeaderTimeout of Run and Serve:
// a client that does not send its request headers within it is
// disconnected, so slow clients cannot hold connections open.
const ReadHeaderTimeout = 10 * time.Second

// Run listens on addr and serves r until ctx ends, the process gets SIGTERM
// or SIGINT, or a shutdown started elsewhere (h.StartShutdown from a preStop
// handler, say) closes the listeners, then runs or follows h's shutdown
// sequence (see [core.Registry.Shutdown]) with http.Server.Shutdown as the
// graceful stop: readiness fails at once, the engine keeps serving for
// Options.PropagationDelay, then stops accepting connections and waits for
// in-flight requests up to Options.DrainTimeout. It returns nil after a
// clean shutdown, a *core.DrainTimeoutError if requests were abandoned or
// the graceful stop timed out, and the listen or serve error if serving
// failed. r.UseH2C is honoured with net/http's own HTTP/2 cleartext (with
// prior knowledge; a request to upgrade to h2c is answered in HTTP/1.1), so
// that the graceful stop ends those connections too.
func Run(ctx context.Context, r *gin.Engine, addr string, h *core.Registry) error {
	srv, err := newServer(r, h)
	if err != nil {
		return err
	}
	srv.Addr = addr
	return h.ListenAndServe(ctx, srv)
}

// Serve is Run on a listener the caller opened (tests use port 0). It
// closes ln.
func Serve(ctx context.Context, r *gin.Engine, ln net.Listener, h *core.Registry) error {
	srv, err := newServer(r, h)
	if err != nil {
		_ = ln.Close()
		return err
	}
	return h.Serve(ctx, srv, ln)
}

func newServer(r *gin.Engine, h *core.Registry) (*http.Server, error) {
	switch {
	case r == nil:
		return nil, errors.New("ginhealth: engine is nil")
	case h == nil:
		return nil, errors.New("ginhealth: registry is nil")
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: ReadHeaderTimeout}
	if r.UseH2C {
		// Not r.Handler(): gin's h2c handler serves HTTP/2 on connections
		// it hijacks, which http.Server.Shutdown neither tells to go away
		// nor waits for, so they went on answering after Run returned.
		// net/http's own cleartext HTTP/2 is stopped and drained like
		// HTTP/1.1.
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	return srv, nil
}
