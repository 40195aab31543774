package grpchealth

import (
	"context"
	"net/http"

	"github.com/probekit/probekit/core"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// reserved maps the service names that stand for a whole probe to its kind.
// The empty name is overall readiness, as the protocol's "overall health of
// the server" means whether to send it traffic.
var reserved = map[string]core.Kind{
	"":          core.Readiness,
	"readiness": core.Readiness,
	"liveness":  core.Liveness,
	"startup":   core.Startup,
}

// checkKinds is the order in which a check's kinds are tried to name it as
// a service: a check of several kinds is reported as readiness, which is the
// one a gRPC client routes by.
var checkKinds = [...]core.Kind{core.Readiness, core.Liveness, core.Startup}

// Statuses the handlers answer with. They are shared, never modified: a
// Check on a cached registry allocates nothing of its own.
var (
	serving        = &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}
	notServing     = &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_NOT_SERVING}
	serviceUnknown = &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVICE_UNKNOWN}
)

func response(st healthpb.HealthCheckResponse_ServingStatus) *healthpb.HealthCheckResponse {
	switch st {
	case healthpb.HealthCheckResponse_SERVING:
		return serving
	case healthpb.HealthCheckResponse_SERVICE_UNKNOWN:
		return serviceUnknown
	}
	return notServing
}

// probe answers for service as the HTTP probe of the same thing would
// (/readyz, /livez, /startupz, /readyz/<check>...), running synchronous
// checks; ok is false for an unknown service.
func (s *Server) probe(ctx context.Context, service string) (healthpb.HealthCheckResponse_ServingStatus, bool) {
	req := core.ProbeRequest{Method: http.MethodGet}
	if kind, ok := reserved[service]; ok {
		req.Kind = kind
	} else {
		kind, ok := s.checkKind(service)
		if !ok {
			return healthpb.HealthCheckResponse_SERVICE_UNKNOWN, false
		}
		req.Kind, req.Check = kind, service
	}
	return servingFor(s.h.Probe(ctx, req).Code), true
}

// stored is probe from what the registry already knows, running nothing
// (see [core.Registry.Stored]).
func (s *Server) stored(service string) healthpb.HealthCheckResponse_ServingStatus {
	kind, check := reserved[service], ""
	if _, ok := reserved[service]; !ok {
		var known bool
		if kind, known = s.checkKind(service); !known {
			return healthpb.HealthCheckResponse_SERVICE_UNKNOWN
		}
		check = service
	}
	st, err := s.h.Stored(kind, check)
	if err != nil { // the check was removed meanwhile: it is unknown now
		return healthpb.HealthCheckResponse_SERVICE_UNKNOWN
	}
	return servingFor(s.h.StatusCode(st))
}

// checkKind returns the kind a check is reported as, or false if no check
// has that name.
func (s *Server) checkKind(name string) (core.Kind, bool) {
	if name == "" {
		return 0, false
	}
	for _, kind := range checkKinds {
		if _, err := s.h.Stored(kind, name); err == nil {
			return kind, true
		}
	}
	return 0, false
}

// servingFor maps an HTTP probe's status code to a serving status, so that
// gRPC agrees with HTTP (Options.DegradedUnavailable included).
func servingFor(code int) healthpb.HealthCheckResponse_ServingStatus {
	if code >= 200 && code < 300 {
		return healthpb.HealthCheckResponse_SERVING
	}
	return healthpb.HealthCheckResponse_NOT_SERVING
}
