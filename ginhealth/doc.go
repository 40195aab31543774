// Package ginhealth serves probekit's health probes on a gin engine, tracks
// in-flight requests for graceful shutdown and runs the engine with core's
// shutdown sequence. Three calls:
//
//	h, err := core.New(core.Options{Service: "orders", Version: version})
//	if err != nil { ... }
//	_ = h.Register(core.Check{Name: "postgres", Check: pingDB, Interval: 5 * time.Second})
//	_ = h.Start(ctx)
//	defer h.Close()
//
//	r := gin.New()
//	r.Use(ginhealth.Drain(h), gin.Recovery()) // Drain first: in-flight tracking for graceful shutdown
//	ginhealth.Register(r, h)                   // /livez /readyz /startupz (+ /healthz /ready)
//	r.GET("/orders", listOrders)
//	err = ginhealth.Run(ctx, r, ":8080", h)    // on SIGTERM: not ready, wait, drain, stop
//
// Register answers exactly as core's net/http handler does (same status
// codes, headers and bytes); see the core package for the probe contract.
// On a group, the probes live under the group's path, and Drain knows it:
//
//	ginhealth.Register(r.Group("/internal"), h) // /internal/livez ...
//
// As gin requires, call r.Use before registering routes: middleware applies
// to the routes registered after it. Drain counts every request but the
// probes, also when a handler panics, and adds "Connection: close" while
// draining. Run and Serve run an http.Server through [core.Registry.Run]
// with http.Server.Shutdown as the graceful stop; for a server configured by
// hand, call h.ListenAndServe(ctx, srv).
//
// No handler keeps the *gin.Context after it returns: gin reuses contexts.
package ginhealth
