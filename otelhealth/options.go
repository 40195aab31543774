package otelhealth

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and the meter: this
// package's import path, as OpenTelemetry's instrumentation libraries do.
const ScopeName = "github.com/probekit/probekit/otelhealth"

// Options configures New. The zero value uses the global providers.
type Options struct {
	// TracerProvider makes the tracer of check-run and transition spans.
	// Default: otel.GetTracerProvider(), read at New (the global provider
	// forwards to one installed later with otel.SetTracerProvider).
	TracerProvider trace.TracerProvider

	// MeterProvider makes the meter of the check, lifecycle and breaker
	// metrics. Default: otel.GetMeterProvider(), read at New.
	MeterProvider metric.MeterProvider
}

// normalize fills in the defaults. Every value of Options is valid.
func (o Options) normalize() Options {
	if o.TracerProvider == nil {
		o.TracerProvider = otel.GetTracerProvider()
	}
	if o.MeterProvider == nil {
		o.MeterProvider = otel.GetMeterProvider()
	}
	return o
}
