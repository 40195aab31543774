package conformance

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
)

// The streaming cases: a response written chunk by chunk, flushed as it
// goes (server-sent events, a long download), is a request in flight until
// its last chunk, whatever API the framework streams with and whether or
// not the handler has returned meanwhile.
var streamingCases = []testCase{
	{"StreamCountedUntilItEnds", runStreamDrained},
	{"StreamOpenAtDrainTimeout", runStreamDrainTimeout},
	{"StreamClientGone", runStreamClientGone},
}

// openStream sends GET url and returns the response, whose body the caller
// reads and closes, once the status line and headers have arrived.
func openStream(t *testing.T, c *http.Client, url string) (*http.Response, *bufio.Reader) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", url, resp.StatusCode)
	}
	return resp, bufio.NewReader(resp.Body)
}

// readChunk reads one line of a stream and checks it.
func readChunk(t *testing.T, r *bufio.Reader, want string) {
	t.Helper()
	got, err := r.ReadString('\n')
	if err != nil || got != want {
		t.Fatalf("stream read %q, %v; want %q", got, err, want)
	}
}

// gatedStream writes "first\n", waits at g, then writes "second\n" and
// "last\n". It stops at the first write error, and writes nothing more when
// the gate is closed instead of released.
func gatedStream(g *gate) func(string, func(string) error) {
	return func(_ string, write func(string) error) {
		if write("first\n") != nil || g.wait(context.Background()) != nil {
			return
		}
		if write("second\n") == nil {
			_ = write("last\n")
		}
	}
}

// runStreamDrained: a stream that began before shutdown is counted while it
// runs, holds the drain open and reaches the client intact when it ends
// within the drain timeout; Run then reports a clean shutdown.
func runStreamDrained(t *testing.T, serve ServeFunc) {
	h := newRegistry(t, core.Options{DrainTimeout: waitTimeout})
	g := newGate(t)
	s := startServer(t, serve, h, Config{Stream: gatedStream(g)})
	c := newClient(t, true)

	_, body := openStream(t, c, s.url("/stream/events")) //nolint:bodyclose // openStream closes it when the test ends
	readChunk(t, body, "first\n")
	g.arrive(t, "GET /stream/events")
	if n := h.InFlight().Count(); n != 1 {
		t.Errorf("in flight while a stream is open = %d, want 1: a streamed response must be counted until it ends", n)
	}
	s.shutdown()
	if !eventually(waitTimeout, s.ln.isClosed) {
		t.Fatal("listener not closed after the context was cancelled")
	}
	// The drain has begun and the stream is still open: nothing may have
	// ended the shutdown sequence yet.
	if n := h.InFlight().Count(); n != 1 {
		t.Errorf("in flight while draining with a stream open = %d, want 1", n)
	}
	select {
	case <-s.done:
		t.Fatalf("Run returned %v while a stream was still open, before the drain timeout", s.err)
	default:
	}
	g.let(t)
	rest, err := io.ReadAll(body)
	if err != nil || string(rest) != "second\nlast\n" {
		t.Errorf("rest of the stream = %q, %v; want %q", rest, err, "second\nlast\n")
	}
	if err := s.wait(t); err != nil {
		t.Errorf("Run = %v, want nil: the stream ended within the drain timeout", err)
	}
	if n := h.InFlight().Count(); n != 0 {
		t.Errorf("in flight after Run = %d, want 0", n)
	}
}

// runStreamDrainTimeout: a stream still open at the drain timeout is an
// abandoned request, and Run says so.
func runStreamDrainTimeout(t *testing.T, serve ServeFunc) {
	const drain = 300 * time.Millisecond
	h := newRegistry(t, core.Options{DrainTimeout: drain})
	g := newGate(t)
	s := startServer(t, serve, h, Config{Stream: gatedStream(g)})
	c := newClient(t, true)

	_, body := openStream(t, c, s.url("/stream/events")) //nolint:bodyclose // openStream closes it when the test ends
	readChunk(t, body, "first\n")
	g.arrive(t, "GET /stream/events")
	s.shutdown()
	err := s.wait(t) // the stream is still open: Run must not wait for it
	var dte *core.DrainTimeoutError
	switch {
	case !errors.Is(err, core.ErrDrainTimeout):
		t.Errorf("Run = %v, want an error wrapping core.ErrDrainTimeout: a stream open at the deadline was abandoned", err)
	case !errors.As(err, &dte):
		t.Errorf("Run = %v, want a *core.DrainTimeoutError", err)
	case dte.Abandoned < 1:
		t.Errorf("DrainTimeoutError.Abandoned = %d, want >= 1", dte.Abandoned)
	}

	g.close() // end the abandoned stream so that nothing leaks
	_, _ = io.Copy(io.Discard, body)
	if !eventually(waitTimeout, func() bool { return h.InFlight().Count() == 0 }) {
		t.Errorf("in flight after the abandoned stream ended = %d, want 0", h.InFlight().Count())
	}
}

// runStreamClientGone: a client that hangs up in the middle of a stream
// leaves no count behind once the stream stops on its write error, and
// leaves exactly one: the server serves and shuts down cleanly afterwards.
func runStreamClientGone(t *testing.T, serve ServeFunc) {
	h := newRegistry(t, core.Options{})
	ended := make(chan struct{})
	s := startServer(t, serve, h, Config{Stream: func(_ string, write func(string) error) {
		defer close(ended)
		// Write until the write fails: only the client's going away
		// (or the end of the test, which closes its connection) ends it.
		for write("tick\n") == nil {
		}
	}})
	c := newClient(t, false)

	resp, body := openStream(t, c, s.url("/stream/ticks"))
	readChunk(t, body, "tick\n")
	resp.Body.Close() // before the end of the body: the client hangs up
	select {
	case <-ended:
	case <-time.After(waitTimeout):
		t.Fatalf("the stream's writes did not fail within %v of the client hanging up", waitTimeout)
	}
	if !eventually(waitTimeout, func() bool { return h.InFlight().Count() == 0 }) {
		t.Fatalf("in flight after the client hung up mid-stream = %d, want 0", h.InFlight().Count())
	}
	if r := mustDo(t, c, http.MethodGet, s.url("/app/after"), ""); r.code != http.StatusOK {
		t.Errorf("GET /app/after = %d, want 200", r.code)
	}
	if n := h.InFlight().Count(); n != 0 {
		t.Errorf("in flight after a later request = %d, want 0 (a count left twice shows here)", n)
	}
	s.shutdown()
	if err := s.wait(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}
