// Package chihealth serves probekit's health probes on a chi router, tracks
// in-flight requests for graceful shutdown and runs the server with core's
// shutdown sequence. Three calls:
//
//	h, err := core.New(core.Options{Service: "orders", Version: version})
//	if err != nil { ... }
//	_ = h.Register(core.Check{Name: "postgres", Check: pingDB, Interval: 5 * time.Second})
//	_ = h.Start(ctx)
//	defer h.Close()
//
//	r := chi.NewRouter()
//	r.Use(chihealth.Drain(h), middleware.Recoverer) // Drain first: in-flight tracking for graceful shutdown
//	chihealth.Register(r, h)                          // /livez /readyz /startupz (+ /healthz /ready)
//	r.Get("/orders", listOrders)
//	err = chihealth.Run(ctx, r, ":8080", h)           // on SIGTERM: not ready, wait, drain, stop
//
// Register answers exactly as core's net/http handler does (same status
// codes, headers and bytes); see the core package for the probe contract.
//
// # Probes on a sub-router: name the prefix
//
// To serve the probes under a prefix with r.Route or r.Mount, you MUST name
// the sub-router's mount path, which chi routers do not know themselves:
//
//	r.Route("/internal", func(r chi.Router) {
//		chihealth.Register(r, h, chihealth.Options{Prefix: "/internal"}) // Prefix = the Route path
//	})
//
// Without Options.Prefix, Drain cannot tell that /internal/readyz is a probe
// and counts it as an in-flight request, so a probe arriving during shutdown
// holds the drain up like a business request (see [Register] for the
// partial fallback). r.Group and r.With need no Prefix: they add none.
//
// # Drain and Run
//
// Drain is core's net/http middleware, which a chi middleware already is:
// it counts every request but the probes, also when a handler panics, and
// adds "Connection: close" while draining. Run and Serve run an http.Server
// through [core.Registry.Run] with http.Server.Shutdown as the graceful stop;
// for a server configured by hand, call h.ListenAndServe(ctx, srv).
package chihealth
