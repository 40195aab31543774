// Package connecthealth answers the gRPC health protocol
// (grpc.health.v1.Health: Check and Watch) from a probekit registry for
// services built with connectrpc.com/connect, through
// connectrpc.com/grpchealth's handler: a grpchealth.Checker and Watcher
// backed by the registry, in the gRPC, gRPC-Web and Connect protocols.
//
//	h, err := core.New(core.Options{}) // then h.Register checks, h.Start(ctx)
//	if err != nil {
//		return err
//	}
//	hc, err := connecthealth.New(h)
//	if err != nil {
//		return err
//	}
//	defer hc.Close()
//	app := http.NewServeMux()
//	app.Handle("/", h.Handler())                          // /livez /readyz /startupz
//	app.Handle(ordersv1connect.NewOrdersHandler(orders)) // your connect services
//	mux := http.NewServeMux()
//	mux.Handle(hc.Handler())        // grpc.health.v1.Health, outside Drain: a probe
//	mux.Handle("/", h.Drain(app))   // in-flight tracking for the rest
//	var protocols http.Protocols    // gRPC is HTTP/2: cleartext HTTP/2 beside HTTP/1.1
//	protocols.SetHTTP1(true)
//	protocols.SetUnencryptedHTTP2(true)
//	srv := &http.Server{Addr: ":8080", Handler: mux, Protocols: &protocols}
//	return h.ListenAndServe(ctx, srv) // SIGTERM: NOT_SERVING, delay, Shutdown, hooks
//
// There is no Run of its own: a connect service is an http.Handler, so
// core's [core.Registry.ListenAndServe] and [core.Registry.Serve] (or any
// adapter's Run) run it, and the registry's Drain counts its RPCs like any
// request.
//
// # Services
//
// The same as the grpchealth module's, from the same mapping in core
// ([core.HealthServices], [core.Registry.HealthServiceServing]): the
// service "" is overall readiness; "readiness", "liveness" and "startup"
// are the three probes; each check's name is a service of its own (a check
// of several kinds is reported as readiness, then liveness, then startup).
// SERVING is what HTTP answers with 200, NOT_SERVING what it answers with
// 503. Check on any other name fails with connect.CodeNotFound; Watch
// answers SERVICE_UNKNOWN and waits, as the protocol says.
//
// # Shutdown
//
// Draining turns the readiness services NOT_SERVING at the moment /readyz
// turns 503, for Check and Watch alike. When the propagation delay is over
// (the listeners close), every Watch stream served by [Checker.Handler]
// sends the current status and ends with OK, so http.Server.Shutdown does
// not wait for it until the drain timeout.
//
// # Why this module, and its dependencies
//
// The grpchealth module serves the same protocol on grpc-go's server and
// depends on google.golang.org/grpc; a connect service usually does not
// want grpc-go in its binary, and grpc-go users do not want connect. So
// this is a module of its own, depending on connectrpc.com/connect v1.21.1
// and connectrpc.com/grpchealth v1.5.0 (the newest releases when it was
// written), whose handler, client and Checker/Watcher interfaces connect
// users already know; they bring google.golang.org/protobuf. The
// service-to-probe mapping lives in core (standard library only), so the
// two modules share it without either depending on the other.
// google.golang.org/grpc is required by the tests only, which ask the same
// handler with grpc-go's health client to prove the wire compatibility; it
// is not compiled into a program that imports this package.
package connecthealth
