// Package grpchealth serves the gRPC health protocol (grpc.health.v1.Health:
// Check, Watch and List) from a probekit registry, counts in-flight RPCs for
// the drain, and runs a *grpc.Server through the registry's shutdown
// sequence:
//
//	h, err := core.New(core.Options{}) // then h.Register checks, h.Start(ctx)
//	if err != nil {
//		return err
//	}
//	g := grpc.NewServer(grpchealth.ServerOptions(h)...) // count in-flight RPCs
//	hs, err := grpchealth.Register(g, h)                 // grpc.health.v1.Health
//	if err != nil {
//		return err
//	}
//	pb.RegisterOrdersServer(g, orders) // your services
//	// Until SIGTERM; then NOT_SERVING, the propagation delay, GracefulStop
//	// bounded by DrainTimeout, the shutdown hooks.
//	return grpchealth.Run(ctx, g, ":9090", hs)
//
// # Services
//
// The service "" is overall readiness, the question a gRPC load balancer
// asks. "readiness", "liveness" and "startup" are the three probes, and
// each check's name is a service of its own (a check of several kinds is
// reported as readiness, then liveness, then startup). Any other name is
// unknown: Check fails with NOT_FOUND, Watch answers SERVICE_UNKNOWN and
// waits, as the protocol says. SERVING is what HTTP answers with 200 (ok,
// and degraded unless Options.DegradedUnavailable), NOT_SERVING what it
// answers with 503: Check and List call [core.Registry.Probe], the function
// the HTTP probes call, so the two protocols never disagree. Watch is
// driven by the registry's events and never runs a check; see
// [Server.Watch] for what it can and cannot see.
//
// # Shutdown
//
// Draining turns the readiness services NOT_SERVING at the moment /readyz
// turns 503. [Run] and [Serve] follow the registry's one sequence, so a
// process serving HTTP and gRPC on two ports shuts both down together.
//
// # Dependencies
//
// google.golang.org/grpc v1.85.0, the newest release when this module was
// written (no other probekit module used grpc, so there was no version to
// agree with): its grpc_health_v1 package holds the generated types of the
// protocol, which every gRPC client and the kubelet's grpc probe speak, so
// the module implements the generated interface rather than re-declaring
// the messages. It brings google.golang.org/protobuf with it.
package grpchealth
