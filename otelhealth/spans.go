package otelhealth

import (
	"context"
	"errors"
	"time"

	"github.com/probekit/probekit/core"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// newCheckEntry makes the entry of a check, with what h knows of it.
func newCheckEntry(h *core.Registry, name string, critical bool) *checkEntry {
	attrs := []attribute.KeyValue{CheckNameKey.String(name), CheckCriticalKey.Bool(critical)}
	for _, c := range h.Checks() {
		if c.Name == name {
			attrs = append(attrs, CheckKindKey.String(c.Kinds.String()), CheckTimeoutKey.Float64(c.Timeout.Seconds()))
			break
		}
	}
	e := &checkEntry{
		spanName:  "check " + name,
		spanStart: trace.WithAttributes(attrs...),
		optional:  !critical,
	}
	e.initMetrics(name)
	return e
}

// runResult is the outcome of one run, before the thresholds: ok without an
// error, degraded for an error made by core.Degraded, else unavailable.
func runResult(err error) core.Status {
	if err == nil {
		return core.StatusOK
	}
	if ce := (*core.CheckError)(nil); errors.As(err, &ce) && ce.Degraded {
		return core.StatusDegraded
	}
	return core.StatusUnavailable
}

// checkSpan records the run of r as a span of its own (a run is not part of
// any request's trace) from r.Time-r.Duration to r.Time. When the run changed
// the check's reported status (from, unless this is the first result seen)
// it carries an EventCheckTransition. A failed run's span has status Error
// with the run's reason; a run that returned an error (degraded included)
// has an "exception" event whose exception.message is the error's text
// through core.Redact: what the registry's own log line shows, so that a
// trace tells a failed login from a missing table.
func (o *observer) checkSpan(r core.Result, e *checkEntry, result core.Status, from core.Status, seen bool) {
	// No WithSpanKind: the default kind is internal, and each option is an
	// allocation.
	_, span := o.tracer.Start(context.Background(), e.spanName,
		trace.WithTimestamp(r.Time.Add(-r.Duration)), e.spanStart)
	if span.IsRecording() {
		reason := r.Message // "" or "recovering (success 1 of 2)" after a success
		if r.Err != nil {
			// Not r.Message: with core.Options.ExposeErrors it is the raw
			// error text.
			reason = valid(core.Reason(r.Err)) // a CheckError's Reason is the user's text
		}
		attrs := make([]attribute.KeyValue, 4, 5)
		attrs[0] = CheckResultKey.String(result.String())
		attrs[1] = CheckStatusKey.String(r.Status.String())
		attrs[2] = CheckDurationKey.Float64(r.Duration.Seconds())
		attrs[3] = CheckConsecutiveFailuresKey.Int(r.ConsecutiveFailures)
		if reason != "" {
			attrs = append(attrs, CheckReasonKey.String(reason))
		}
		span.SetAttributes(attrs...)
		if !seen || from != r.Status {
			fromText := "unknown"
			if seen {
				fromText = from.String()
			}
			span.AddEvent(EventCheckTransition, trace.WithTimestamp(r.Time), trace.WithAttributes(
				TransitionFromKey.String(fromText), TransitionToKey.String(r.Status.String())))
		}
		if r.Err != nil {
			span.AddEvent(semconv.ExceptionEventName, trace.WithTimestamp(r.Time), trace.WithAttributes(
				semconv.ExceptionMessage(core.Redact(r.Err.Error()))))
		}
		if result == core.StatusUnavailable {
			span.SetStatus(codes.Error, reason)
		}
	}
	span.End(trace.WithTimestamp(r.Time))
}

// transitionSpan records t as a span of no duration, named after the
// component and its new state ("lifecycle draining", "breaker open"), with
// one EventTransition: a trace backend then shows when a pod began draining
// or a breaker opened, beside the check runs.
func (o *observer) transitionSpan(t core.Transition) {
	at := t.Time
	if at.IsZero() {
		at = time.Now()
	}
	_, span := o.tracer.Start(context.Background(), t.Component+" "+t.To, trace.WithTimestamp(at))
	if span.IsRecording() {
		span.SetAttributes(TransitionComponentKey.String(t.Component), TransitionNameKey.String(t.Name))
		attrs := []attribute.KeyValue{TransitionFromKey.String(t.From), TransitionToKey.String(t.To)}
		if t.Reason != "" {
			attrs = append(attrs, TransitionReasonKey.String(t.Reason))
		}
		span.AddEvent(EventTransition, trace.WithTimestamp(at), trace.WithAttributes(attrs...))
	}
	span.End(trace.WithTimestamp(at))
}
