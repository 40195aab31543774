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
//	r.Use(middleware.Recoverer, chihealth.Drain(h)) // in-flight tracking for graceful shutdown
//	chihealth.Register(r, h)                          // /livez /readyz /startupz (+ /healthz /ready)
//	r.Get("/orders", listOrders)
//	err = chihealth.Run(ctx, r, ":8080", h)           // on SIGTERM: not ready, wait, drain, stop
//
// Register answers exactly as core's net/http handler does (same status
// codes, headers and bytes); see the core package for the probe contract.
// To serve the probes under a prefix, register them on a sub-router and
// name its mount path, which chi routers do not know themselves:
//
//	r.Route("/internal", func(r chi.Router) {
//		chihealth.Register(r, h, chihealth.Options{Prefix: "/internal"})
//	})
//
// Drain is core's net/http middleware, which a chi middleware already is:
// it counts every request but the probes, also when a handler panics, and
// adds "Connection: close" while draining. Run and Serve run an http.Server
// through [core.Registry.Run] with http.Server.Shutdown as the graceful stop;
// for a server configured by hand, call h.ListenAndServe(ctx, srv).
package chihealth
