package otelhealth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/otelhealth"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Wire a registry to OpenTelemetry. A real service installs its SDK with
// exporters (OTLP, Prometheus) and passes Options{} to use the global
// providers; this example keeps spans and metrics in memory to print them.
func Example() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) }()

	h, _ := core.New(core.Options{Service: "orders", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer h.Close()
	_ = h.Register(core.Check{Name: "postgres", Check: func(context.Context) error {
		return errors.New("dial tcp 10.0.0.7:5432: connect: connection refused")
	}})
	tel, err := otelhealth.New(h, otelhealth.Options{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tel.Close()

	h.MarkStarted()
	_, _ = h.Evaluate(context.Background(), core.Readiness)

	for _, s := range spans.Ended() {
		fmt.Printf("span %q %s", s.Name(), s.Status().Code)
		for _, kv := range s.Attributes() {
			if kv.Key == otelhealth.CheckReasonKey {
				fmt.Printf(" reason=%q", kv.Value.AsString())
			}
		}
		fmt.Println()
	}
	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if g, ok := m.Data.(metricdata.Gauge[float64]); ok && m.Name == otelhealth.MetricCheckUp {
			fmt.Println(m.Name, g.DataPoints[0].Value)
		}
	}
	// Output:
	// span "lifecycle ready" Unset
	// span "check postgres" Error reason="connection refused"
	// probekit.check.up 0
}

// A request refused by an open breaker says so on its own span.
func ExampleRecordBreaker() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	payments, _ := breaker.New("payments", breaker.Settings{FailureThreshold: 1, OpenTimeout: time.Minute})
	_ = payments.Do(context.Background(), func(context.Context) error { return errors.New("connection refused") })

	// The request's handler, under the request's span (otelhttp makes it).
	ctx, span := tp.Tracer("orders").Start(context.Background(), "POST /checkout")
	_, err := breaker.Call(ctx, payments, func(context.Context) (string, error) { return "receipt", nil })
	otelhealth.RecordBreaker(ctx, err)
	span.End()

	for _, kv := range spans.Ended()[0].Attributes() {
		if kv.Key != otelhealth.BreakerOpenSinceKey {
			fmt.Println(kv.Key, kv.Value.AsString())
		}
	}
	// Output:
	// probekit.breaker.name payments
	// probekit.breaker.state open
}
