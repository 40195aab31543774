package grpchealth

import (
	"context"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

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
// checks; ok is false for an unknown service. The mapping of names to
// probes is core's ([core.Registry.HealthServiceServing]), shared with
// connecthealth.
func (s *Server) probe(ctx context.Context, service string) (healthpb.HealthCheckResponse_ServingStatus, bool) {
	serving, known := s.h.HealthServiceServing(ctx, service)
	if !known {
		return healthpb.HealthCheckResponse_SERVICE_UNKNOWN, false
	}
	return servingStatus(serving), true
}

// stored is probe from what the registry already knows, running nothing
// (see [core.Registry.HealthServiceStored]).
func (s *Server) stored(service string) healthpb.HealthCheckResponse_ServingStatus {
	serving, known := s.h.HealthServiceStored(service)
	if !known {
		return healthpb.HealthCheckResponse_SERVICE_UNKNOWN
	}
	return servingStatus(serving)
}

func servingStatus(serving bool) healthpb.HealthCheckResponse_ServingStatus {
	if serving {
		return healthpb.HealthCheckResponse_SERVING
	}
	return healthpb.HealthCheckResponse_NOT_SERVING
}
