// Package conformance is the behavioural test suite every probekit adapter
// must pass: the probe contract of core (paths, status codes, bodies, query
// parameters, methods, headers), the lifecycle guarantees (zero-drop
// shutdown, drain timeout, in-flight tracking through panics, a shutdown
// started outside the runner or from a request, a graceful stop that times
// out) and the counting of streamed responses until their last chunk.
//
// An adapter's test supplies a [ServeFunc] that serves a registry through the
// adapter, and calls [Run]:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, func(ctx context.Context, h *core.Registry, ln net.Listener, cfg conformance.Config) error {
//			r := gin.New()
//			r.Use(ginhealth.Drain(h), gin.Recovery())
//			ginhealth.Register(r.Group(cfg.Prefix), h)
//			r.GET("/app/*path", func(c *gin.Context) {
//				code, body := cfg.App(c.Request.URL.Path, c.Request.URL.RawQuery)
//				c.String(code, "%s", body)
//			})
//			r.GET("/stream/*path", func(c *gin.Context) {
//				cfg.Stream(c.Request.URL.Path, func(chunk string) error {
//					if c.Stream(func(w io.Writer) bool { io.WriteString(w, chunk); return false }) {
//						return errClientGone
//					}
//					return nil
//				})
//			})
//			return ginhealth.Serve(ctx, r, ln, h)
//		})
//	}
//
// Every probe response is compared byte for byte (status, Content-Type,
// Cache-Control, X-Content-Type-Options, Allow and body, with timestamps and
// durations normalised) with what core's own [core.Registry.Handler] answers
// to the same request on the same registry. [NetHTTP] is core's own net/http
// integration written as a ServeFunc; running the suite with it checks core
// itself.
//
// The package imports the standard library and testing only. The suite
// starts servers and goroutines and stops them all before Run returns; the
// calling test package should verify that with goleak.VerifyTestMain.
package conformance
