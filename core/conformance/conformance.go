package conformance

import (
	"context"
	"net"
	"slices"
	"testing"

	"github.com/probekit/probekit/core"
)

// ServeFunc serves h through one adapter on ln until the adapter's graceful
// runner returns, and returns the runner's error. It must:
//
//   - mount the probe endpoints with the adapter's Register under cfg.Prefix
//     ("" for the root, or a path such as "/internal");
//   - wrap everything in the adapter's Drain middleware and the framework's
//     own recovery middleware;
//   - mount a catch-all business route GET /app/* whose native handler calls
//     code, body := cfg.App(path, rawQuery) with the request's URL path and
//     raw query (the call may block for a long time, or panic) and writes
//     code and body;
//   - mount a streaming route GET /stream/* whose native handler answers
//     200 and calls cfg.Stream(path, write) with the request's URL path and
//     a write that sends one chunk to the client at once, with the
//     framework's own streaming API (write and flush), and returns an error
//     once the client is gone;
//   - call the adapter's listener-taking Run variant with ctx, so that
//     cancelling ctx starts core's shutdown sequence.
type ServeFunc func(ctx context.Context, h *core.Registry, ln net.Listener, cfg Config) error

// Config is what a ServeFunc mounts besides the probes.
type Config struct {
	// Prefix is where the probe endpoints are mounted: "" for the root, else
	// a path without a trailing slash such as "/internal".
	Prefix string
	// App answers the business route GET /app/*. path is the request's URL
	// path ("/app/slow"), rawQuery its query without '?'.
	App func(path, rawQuery string) (code int, body string)
	// Stream produces the body of the streaming route GET /stream/*: it
	// calls write for each chunk and returns when the stream ends, or when
	// write returns an error (the client is gone).
	Stream func(path string, write func(chunk string) error)
}

// Run runs every conformance case against serve, as subtests of t: first
// the probe contract, then the lifecycle, then streamed responses. Cases run in parallel with each
// other, each on its own registry and server; Run returns when all are done.
func Run(t *testing.T, serve ServeFunc) {
	t.Helper()
	if serve == nil {
		t.Fatal("conformance: Run needs a ServeFunc, got nil")
	}
	t.Run("Probe", func(t *testing.T) {
		for _, c := range probeSuites {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				c.run(t, serve)
			})
		}
	})
	t.Run("Lifecycle", func(t *testing.T) {
		for _, c := range slices.Concat(lifecycleCases, shutdownCases) {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				c.run(t, serve)
			})
		}
	})
	t.Run("Streaming", func(t *testing.T) {
		for _, c := range streamingCases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				c.run(t, serve)
			})
		}
	})
}

// testCase is one named case of the suite.
type testCase struct {
	name string
	run  func(t *testing.T, serve ServeFunc)
}
