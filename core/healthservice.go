package core

import (
	"context"
	"net/http"
)

// HealthService is a service name of the gRPC health protocol
// (grpc.health.v1.Health) that stands for a whole probe, and that probe's
// kind: the gRPC counterpart of an [Endpoint].
type HealthService struct {
	// Name is the service name a health client asks about.
	Name string
	// Kind is the probe kind the name evaluates.
	Kind Kind
}

// HealthServices returns the service names that stand for a whole probe, in
// order: "" (overall health, which a gRPC load balancer asks about to decide
// whether to send traffic: readiness), "readiness", "liveness" and
// "startup". Each check's own name is a service too (see
// [Registry.HealthServiceServing]). The gRPC health servers built on a
// registry (grpchealth for grpc-go, connecthealth for connect) share this
// mapping, so that they never disagree with each other or with HTTP.
func HealthServices() []HealthService {
	return []HealthService{
		{"", Readiness},
		{"readiness", Readiness},
		{"liveness", Liveness},
		{"startup", Startup},
	}
}

// healthServiceKind is HealthServices as a lookup, without allocating.
func healthServiceKind(name string) (Kind, bool) {
	switch name {
	case "", "readiness":
		return Readiness, true
	case "liveness":
		return Liveness, true
	case "startup":
		return Startup, true
	}
	return 0, false
}

// healthCheckKinds is the order in which a check's kinds are tried to name
// it as a health service: a check of several kinds is reported as
// readiness, the one a gRPC client routes by.
var healthCheckKinds = [...]Kind{Readiness, Liveness, Startup}

// healthServiceProbe returns the probe that service stands for: one of
// HealthServices, or a check's name as the probe of that one check (of its
// first kind in healthCheckKinds). A name of HealthServices means the whole
// probe even if a check has that name. ok is false for any other name.
func (r *Registry) healthServiceProbe(service string) (kind Kind, check string, ok bool) {
	if r == nil {
		return 0, "", false
	}
	if kind, ok := healthServiceKind(service); ok {
		return kind, "", true
	}
	s := r.lookup(service)
	if s == nil {
		return 0, "", false
	}
	for _, kind := range healthCheckKinds {
		if s.check.Kinds&kind != 0 {
			return kind, service, true
		}
	}
	return 0, "", false
}

// HealthServiceServing answers a gRPC health Check for service: serving is
// true exactly when the HTTP probe of the same thing (/readyz for "" and
// "readiness", /livez for "liveness", /readyz/<check> for a check of
// readiness, ...) answers 2xx: ok, and degraded unless
// Options.DegradedUnavailable. It calls [Registry.Probe], so it runs
// synchronous checks within their timeouts as that probe would, and it
// moves the lifecycle as a probe does; draining makes the readiness
// services not serving. known is false for a name that is neither one of
// [HealthServices] nor a check's name (the protocol's NOT_FOUND); a check of
// several kinds is reported as readiness, then liveness, then startup. A
// nil registry knows no service.
func (r *Registry) HealthServiceServing(ctx context.Context, service string) (serving, known bool) {
	kind, check, ok := r.healthServiceProbe(service)
	if !ok {
		return false, false
	}
	code := r.Probe(ctx, ProbeRequest{Method: http.MethodGet, Kind: kind, Check: check}).Code
	return code >= 200 && code < 300, true
}

// HealthServiceStored is HealthServiceServing from what the registry
// already knows ([Registry.Stored]): it runs no check and never moves the
// lifecycle, for a health Watch that recomputes a status each time an
// [Observer] hears of a change. A check removed meanwhile is unknown.
func (r *Registry) HealthServiceStored(service string) (serving, known bool) {
	kind, check, ok := r.healthServiceProbe(service)
	if !ok {
		return false, false
	}
	st, err := r.Stored(kind, check)
	if err != nil {
		return false, false
	}
	code := r.StatusCode(st)
	return code >= 200 && code < 300, true
}
