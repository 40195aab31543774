package otelhealth

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// rejection is what RecordBreaker reads from an error: the methods of
// breaker.RejectedError, declared here so that this package does not import
// the breaker module (nor gobreaker) for users who do not use it.
type rejection interface {
	error
	BreakerName() string
	BreakerState() string
	OpenSince() time.Time
}

// RecordBreaker explains, on the span in ctx, a call that a circuit breaker
// refused: if err holds a breaker rejection (breaker.RejectedError, found
// with errors.As, so it may be wrapped), it sets BreakerNameKey,
// BreakerStateKey and BreakerOpenSinceKey on the span and adds an
// EventBreakerRejected with the same attributes, so that the trace of a
// request that failed because a dependency's breaker was open says so
// itself. It reports whether err held a rejection; it does nothing else
// (for any other error, or without a recording span). A rejection whose
// methods panic (a typed nil) names no breaker: false, nothing recorded.
//
// Call it with the request's context and the error of breaker.Do or
// breaker.Call:
//
//	n, err := breaker.Call(ctx, pg, query)
//	otelhealth.RecordBreaker(ctx, err)
//
// It does not set the span's status: whether the request failed is the
// request's to say (it may have served a fallback).
func RecordBreaker(ctx context.Context, err error) bool {
	var rej rejection
	if err == nil || !errors.As(err, &rej) {
		return false
	}
	name, state, since, ok := readRejection(rej)
	if !ok {
		return false
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return true
	}
	attrs := []attribute.KeyValue{
		BreakerNameKey.String(valid(name)),
		BreakerStateKey.String(valid(state)),
	}
	if !since.IsZero() {
		attrs = append(attrs, BreakerOpenSinceKey.String(since.UTC().Format(time.RFC3339Nano)))
	}
	span.SetAttributes(attrs...)
	span.AddEvent(EventBreakerRejected, trace.WithAttributes(attrs...))
	return true
}

// readRejection reads rej's methods; ok is false if one of them panicked
// (a typed nil *breaker.RejectedError, or another type's methods): that
// error names no breaker, and RecordBreaker runs in the caller's request,
// which it must not end.
func readRejection(rej rejection) (name, state string, since time.Time, ok bool) {
	defer func() {
		if recover() != nil {
			name, state, since, ok = "", "", time.Time{}, false
		}
	}()
	return rej.BreakerName(), rej.BreakerState(), rej.OpenSince(), true
}
