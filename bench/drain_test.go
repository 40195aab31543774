package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
	"github.com/probekit/probekit/chihealth"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/echohealth"
	"github.com/probekit/probekit/fiberhealth"
	"github.com/probekit/probekit/ginhealth"
	"github.com/valyala/fasthttp"
)

const appRoute = "/app/orders"

func newRegistry(tb testing.TB) *core.Registry {
	tb.Helper()
	h, err := core.New(core.Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = h.Close() })
	return h
}

// BenchmarkDrain: an app route through each framework's router behind one
// middleware, either one that only calls the next handler ("noop", what the
// framework charges for any middleware) or probekit's Drain: Drain's own
// cost is the difference. None of the peer libraries tracks in-flight
// requests, so there is nothing of theirs to compare.
func BenchmarkDrain(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	for _, fw := range []struct {
		name  string
		noop  func(testing.TB) http.Handler
		drain func(testing.TB) http.Handler
	}{
		{"nethttp", func(testing.TB) http.Handler { return noopMiddleware(okHandler) }, func(tb testing.TB) http.Handler { return newRegistry(tb).Drain(okHandler) }},
		{"chi", func(testing.TB) http.Handler { return chiApp(noopMiddleware) }, func(tb testing.TB) http.Handler { return chiApp(chihealth.Drain(newRegistry(tb))) }},
		{"gin", func(testing.TB) http.Handler { return ginApp(func(c *gin.Context) { c.Next() }) }, func(tb testing.TB) http.Handler { return ginApp(ginhealth.Drain(newRegistry(tb))) }},
		{"echo", func(testing.TB) http.Handler { return echoApp(echoNoop) }, func(tb testing.TB) http.Handler { return echoApp(echohealth.Drain(newRegistry(tb))) }},
	} {
		b.Run(fw.name+"/noop", func(b *testing.B) { benchHandler(b, fw.noop(b), appRoute) })
		b.Run(fw.name+"/drain", func(b *testing.B) { benchHandler(b, fw.drain(b), appRoute) })
	}
	b.Run("fiber/noop", func(b *testing.B) { benchFiber(b, fiberApp(func(c *fiber.Ctx) error { return c.Next() }), appRoute) })
	b.Run("fiber/drain", func(b *testing.B) { benchFiber(b, fiberApp(fiberhealth.Drain(newRegistry(b))), appRoute) })
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

func noopMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })
}

func echoNoop(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error { return next(c) }
}

func chiApp(mw func(http.Handler) http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Use(mw)
	r.Get(appRoute, okHandler)
	return r
}

func ginApp(mw gin.HandlerFunc) http.Handler {
	r := gin.New()
	r.Use(mw)
	r.GET(appRoute, func(c *gin.Context) { c.Status(http.StatusOK) })
	return r
}

func echoApp(mw echo.MiddlewareFunc) http.Handler {
	e := echo.New()
	e.Use(mw)
	e.GET(appRoute, func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return e
}

func fiberApp(mw fiber.Handler) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(mw)
	app.Get(appRoute, func(c *fiber.Ctx) error { return c.SendStatus(http.StatusOK) })
	return app
}

// benchHandler serves GET target through h in b's loop, one reused request
// and writer, after checking that it answers 200.
func benchHandler(b *testing.B, h http.Handler, target string) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	w := newDiscardWriter()
	h.ServeHTTP(w, req)
	if w.code != http.StatusOK {
		b.Fatalf("GET %s = %d, want 200", target, w.code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, req)
	}
}

// benchFiber is benchHandler for fiber, on fasthttp's own request context,
// as fiber's benchmarks do (fiber is not an http.Handler).
func benchFiber(b *testing.B, app *fiber.App, target string) {
	handler := app.Handler()
	fctx := &fasthttp.RequestCtx{}
	fctx.Request.Header.SetMethod(fiber.MethodGet)
	fctx.Request.SetRequestURI(target)
	handler(fctx)
	if got := fctx.Response.StatusCode(); got != http.StatusOK {
		b.Fatalf("GET %s = %d, want 200", target, got)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		handler(fctx)
	}
}
