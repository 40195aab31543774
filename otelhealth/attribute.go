package otelhealth

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// The attribute keys this package sets. OpenTelemetry's semantic conventions
// have no names for health checks, lifecycle states or circuit breakers, so
// they live under "probekit."; where a convention exists (the exception
// event's exception.message) it is used instead.
const (
	// CheckNameKey is the check's name, on check-run spans and check metrics.
	CheckNameKey = attribute.Key("probekit.check.name")
	// CheckKindKey lists the probes the check belongs to: "readyz",
	// "livez|readyz", ... (core.Kind's String).
	CheckKindKey = attribute.Key("probekit.check.kind")
	// CheckResultKey is the outcome of one run: "ok", "degraded" or
	// "unavailable", before the failure and success thresholds apply. It
	// labels probekit.check.runs and probekit.check.duration.
	CheckResultKey = attribute.Key("probekit.check.result")
	// CheckStatusKey is the check's reported status after the run, after
	// the thresholds: what the probes show.
	CheckStatusKey = attribute.Key("probekit.check.status")
	// CheckReasonKey is the safe reason of a failed run (core.Reason: never
	// raw error text), or the registry's message while a check recovers.
	CheckReasonKey = attribute.Key("probekit.check.reason")
	// CheckDurationKey is how long the run took, in seconds.
	CheckDurationKey = attribute.Key("probekit.check.duration")
	// CheckTimeoutKey is the check's timeout, in seconds.
	CheckTimeoutKey = attribute.Key("probekit.check.timeout")
	// CheckCriticalKey is false for a check registered with Optional.
	CheckCriticalKey = attribute.Key("probekit.check.critical")
	// CheckConsecutiveFailuresKey counts the failed runs since the last
	// success, this one included.
	CheckConsecutiveFailuresKey = attribute.Key("probekit.check.consecutive_failures")

	// TransitionComponentKey says what changed state: "lifecycle",
	// "breaker", or a component of the user's (core.Transition.Component).
	TransitionComponentKey = attribute.Key("probekit.transition.component")
	// TransitionNameKey is the name of what changed: the service, the
	// breaker.
	TransitionNameKey = attribute.Key("probekit.transition.name")
	// TransitionFromKey and TransitionToKey are the old and new states.
	TransitionFromKey = attribute.Key("probekit.transition.from")
	// TransitionToKey is the new state.
	TransitionToKey = attribute.Key("probekit.transition.to")
	// TransitionReasonKey is the transition's secret-free reason.
	TransitionReasonKey = attribute.Key("probekit.transition.reason")

	// LifecycleStateKey is one of "starting", "ready", "draining",
	// "stopped", on probekit.lifecycle.state.
	LifecycleStateKey = attribute.Key("probekit.lifecycle.state")

	// BreakerNameKey is the name of a circuit breaker.
	BreakerNameKey = attribute.Key("probekit.breaker.name")
	// BreakerStateKey is its state: "closed", "half-open" or "open".
	BreakerStateKey = attribute.Key("probekit.breaker.state")
	// BreakerOpenSinceKey is when the breaker last tripped open, as an
	// RFC 3339 timestamp in UTC.
	BreakerOpenSinceKey = attribute.Key("probekit.breaker.open_since")
	// FeatureNameKey is a feature's name (core.FeatureOptions.Name).
	FeatureNameKey = attribute.Key("probekit.feature.name")
	// FeatureForcedKey is true while an operator forces the feature on or
	// off (core.Feature.Force).
	FeatureForcedKey = attribute.Key("probekit.feature.forced")
)

// The names of the span events this package adds.
const (
	// EventCheckTransition is added to a check-run span whose run changed
	// the check's reported status.
	EventCheckTransition = "probekit.check.transition"
	// EventTransition is the event of a transition span (lifecycle,
	// breaker, ...).
	EventTransition = "probekit.transition"
	// EventBreakerRejected is added by RecordBreaker to the span of a
	// request that a circuit breaker refused.
	EventBreakerRejected = "probekit.breaker.rejected"
)

// valid returns s with invalid UTF-8 replaced by U+FFFD, and s itself (no
// allocation) when it is valid. OTLP carries strings as protobuf strings,
// which must be valid UTF-8: an exporter drops the whole batch for one bad
// string, and the SDK does not clean them. Names and reasons that come from
// Notify callers or user errors go through it.
func valid(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
