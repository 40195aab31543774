package fiber3health_test

import (
	"strings"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/fiber3health"
	"github.com/valyala/fasthttp"
)

// streamApp is an app whose /stream route answers with a body stream, behind
// drains Drains of h. serve serves one request on a reused request context;
// reset resets it as fasthttp's server does once it has written the
// response, which closes the stream hold.
func streamApp(t *testing.T, h *core.Registry, drains int) (serve, reset func()) {
	t.Helper()
	app := fiber.New()
	for range drains {
		app.Use(fiber3health.Drain(h))
	}
	body := strings.NewReader("chunk")
	app.Get("/stream", func(c fiber.Ctx) error {
		body.Reset("chunk")
		c.RequestCtx().SetBodyStream(body, -1)
		return nil
	})
	handler := app.Handler()
	fctx := &fasthttp.RequestCtx{}
	fctx.Request.Header.SetMethod(fiber.MethodGet)
	fctx.Request.SetRequestURI("/stream")
	serve = func() { handler(fctx) }
	reset = func() { fctx.ResetUserValues() }
	return serve, reset
}

// A streamed response stays counted, once per Drain on its route, until
// fasthttp resets the request context.
func TestStreamHeldUntilReset(t *testing.T) {
	t.Parallel()
	for _, drains := range []int{1, 2, 3} {
		h, err := core.New(core.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = h.Close() })
		serve, reset := streamApp(t, h, drains)
		for round := range 2 { // the second round reuses the context's user value slot
			serve()
			if n := h.InFlight().Count(); n != int64(drains) {
				t.Errorf("%d Drains, round %d: %d in flight after the handler returned, want %d", drains, round, n, drains)
			}
			reset()
			if n := h.InFlight().Count(); n != 0 {
				t.Errorf("%d Drains, round %d: %d in flight after the reset, want 0", drains, round, n)
			}
		}
	}
}

// A streamed response behind Drain allocates no more than behind a
// middleware that only calls c.Next. Not parallel: AllocsPerRun counts the
// whole process's allocations.
func TestStreamNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	allocs := func(drains int) float64 {
		serve, reset := streamApp(t, h, drains)
		serve()
		reset()
		return testing.AllocsPerRun(100, func() { serve(); reset() })
	}
	if base, n := allocs(0), allocs(1); n != base {
		t.Errorf("allocations per streamed response behind Drain = %v, without it %v; want as many", n, base)
	}
}
