// Package otelhealth reports a probekit registry to OpenTelemetry: a span
// per check run, a span per lifecycle or breaker transition, the check,
// lifecycle and breaker metrics, and, on the span of a user's request that a
// circuit breaker refused, which breaker refused it and since when it has
// been open.
//
// The happy path:
//
//	h, _ := core.New(core.Options{Service: "orders"})
//	_ = h.Register(core.Check{Name: "postgres", Check: ping, Interval: 10 * time.Second})
//	tel, err := otelhealth.New(h, otelhealth.Options{}) // the global providers
//	if err != nil { ... }
//	defer tel.Close()
//	_ = h.Start(ctx)
//
//	// In a handler: a request refused by an open breaker says so on its span.
//	n, err := breaker.Call(r.Context(), pg, countOrders)
//	otelhealth.RecordBreaker(r.Context(), err)
//
// # Spans
//
// Each run of a check is a span of its own, named "check <name>", from the
// run's start to its end (the registry reports a run after it ended; the
// span gets those times explicitly). Its attributes are the check's name,
// kinds, timeout and criticality (set at start, so samplers see them), the
// run's result, the check's reported status, the run's duration, the count
// of consecutive failures and the reason of a failure. A run that failed
// has status Error; a run that changed the check's reported status carries
// an event probekit.check.transition (from, to). Runs happen in the
// background or under a probe, never inside a user's request, so they start
// traces of their own: keep them in proportion with the provider's sampler.
//
// A change of the lifecycle (starting, ready, draining, stopped) or of a
// breaker (through core.Registry.Notify) is a span of no duration named
// "<component> <state>" ("lifecycle draining", "breaker open") with one
// event probekit.transition (from, to, reason).
//
// # Secrets
//
// Error text may hold secrets (a DSN, a token in a URL), and traces often
// leave the cluster. No attribute holds raw error text: the reason is
// core.Reason of the run's error, never Result.Message, which is the raw
// text under core.Options.ExposeErrors. A run that returned an error does
// carry an "exception" event (the OpenTelemetry convention) whose exception.message
// is the error's text passed through core.Redact, exactly what the
// registry's own log line shows: an operator can then tell a failed login
// from a missing table from the trace alone.
//
// Names, states and reasons that come from Notify callers, breakers or a
// CheckError's reason go out as valid UTF-8 (U+FFFD for a bad byte): OTLP
// exporters drop a whole batch for one invalid string.
//
// # Metrics
//
// The instruments follow OpenTelemetry's naming conventions (dotted names,
// units in the unit field, not in the name): probekit.check.up,
// probekit.check.duration (s), probekit.check.runs,
// probekit.check.consecutive_failures,
// probekit.check.last_success.timestamp (s), probekit.lifecycle.state,
// probekit.inflight_requests, probekit.breaker.state and
// probekit.feature.enabled (per core.Feature, with whether it is forced);
// see the Metric
// constants. The gauges are observed at collection from what the observer
// remembers, never by running a check.
//
// # Cost
//
// Observers run on every check run, never on a probe answered from cached
// results: with otelhealth attached, BenchmarkProbeCached still allocates
// nothing. Per check result, measured in CPU time (GC included) on a
// shared 2-core machine (BenchmarkObserveResult): about 0.3 µs and 5
// allocations with the API alone (no SDK installed); about 1.2 µs with
// the SDK when the sampler drops the run's span, most of it the SDK's
// metric aggregation; about 4 µs with the SDK when every span is sampled,
// most of it the SDK's span; a failed run adds its reason, the redaction
// of its error and the exception event.
//
// # Options
//
// Options mirrors otelhttp's WithTracerProvider and WithMeterProvider as
// fields of a struct, the form of every other probekit configuration: the
// zero value uses the global providers, and the instrumentation scope is
// this package's import path (ScopeName). Attribute names are OpenTelemetry
// semantic conventions where one exists (exception.message) and
// probekit.* elsewhere, since no convention names health checks or
// circuit breakers.
//
// # Dependencies
//
// go.opentelemetry.io/otel, otel/trace and otel/metric, the OpenTelemetry
// API, and only it: which SDK and exporters to use is the application's
// choice, and without one every call is a no-op. The SDK
// (go.opentelemetry.io/otel/sdk and sdk/metric) is used only by the tests,
// examples and benchmarks, through its in-memory span recorder and manual
// metric reader. The version, v1.47.0, was the newest release on the module
// proxy when this module was written (no OpenTelemetry module was in the
// local module cache to align with); semconv/v1.40.0 is the newest
// semantic-conventions package it ships.
//
// The breaker module is not imported: RecordBreaker reads a breaker's
// rejection through a small interface (the methods of
// breaker.RejectedError), so a service that does not use breakers does not
// build gobreaker. The breaker module is a test dependency only.
package otelhealth
