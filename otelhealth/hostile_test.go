package otelhealth

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/core"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// Breaker transitions reach the observer through h.Notify, from anyone: a
// breaker per tenant or per URL, or a buggy notifier, must not grow the
// breaker gauge (and the observer's memory) without bound, and a state that
// is not a breaker's adds no breaker.
func TestBreakerSeriesBounded(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{})
	// The observer itself: the SDK's own cardinality limit would hide
	// what the observer keeps.
	o, reg, err := newObserver(h, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Unregister() })
	o.ObserveTransition(core.Transition{Component: "breaker", Name: "not-a-state", From: "closed", To: "sideways"})
	for i := range 3 * maxBreakers {
		o.ObserveTransition(core.Transition{Component: "breaker", Name: "tenant-" + strconv.Itoa(i), From: "closed", To: "open"})
	}
	o.mu.Lock()
	n, sideways := len(o.breakers), o.breakers["not-a-state"] != nil
	o.mu.Unlock()
	if n > maxBreakers {
		t.Errorf("the observer keeps %d breakers, want at most %d", n, maxBreakers)
	}
	if sideways {
		t.Errorf("a transition to %q made a breaker", "sideways")
	}
}

// RecordBreaker runs in the user's request handler: an error that holds a
// typed nil rejection (wrapped or not) must not panic it.
func TestRecordBreakerTypedNil(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	tracer := s.opts.TracerProvider.Tracer("t")
	var nilRej *breaker.RejectedError
	for _, err := range []error{nilRej, fmt.Errorf("checkout: %w", nilRej), &breaker.RejectedError{}} {
		ctx, span := tracer.Start(context.Background(), "req")
		func() {
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("RecordBreaker(%T) panicked: %v", err, v)
				}
			}()
			if RecordBreaker(ctx, err) {
				t.Errorf("RecordBreaker(%#v) = true for a rejection that names no breaker", err)
			}
		}()
		span.End()
	}
}

// panicError's Error method panics, as a typed nil pointer's may: the run's
// span still ends, and its exception event says so.
type panicError struct{}

func (*panicError) Error() string { panic("boom") }

func TestCheckErrorWhoseErrorPanics(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{})
	if err := h.Register(core.Check{Name: "db", Check: func(context.Context) error { return &panicError{} }}); err != nil {
		t.Fatal(err)
	}
	s.attach(t, h)
	_, _ = h.Evaluate(context.Background(), core.Readiness)
	spans := s.ended("check db")
	if len(spans) != 1 {
		t.Fatalf("%d ended spans of the run, want 1", len(spans))
	}
	var msg string
	for _, ev := range spans[0].Events() {
		if ev.Name == semconv.ExceptionEventName {
			msg = attrs(ev.Attributes)[semconv.ExceptionMessageKey]
		}
	}
	if msg == "" {
		t.Fatalf("events %v, want an exception event with a message", spans[0].Events())
	}
}

// OTLP carries strings as protobuf strings, which must be valid UTF-8: one
// bad string makes the exporter drop the whole batch, everyone's spans and
// points with it (opentelemetry-go#3021; the SDK does not clean them).
// What arrives through Notify is the caller's, so it goes out cleaned.
func TestNotifiedStringsAreValidUTF8(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{})
	s.attach(t, h)
	h.Notify(core.Transition{Component: "breaker", Name: "pg\xff", From: "closed\xfe", To: "open", Reason: "5 failures\xc3"})
	h.Notify(core.Transition{Component: "queue\xff", Name: "jobs", From: "a", To: "b\xff"})
	check := func(what, v string) {
		if !utf8.ValidString(v) {
			t.Errorf("%s %q is not valid UTF-8", what, v)
		}
	}
	spans := s.spans.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	for _, sp := range spans {
		check("span name", sp.Name())
		for _, kv := range sp.Attributes() {
			check(string(kv.Key), kv.Value.String())
		}
		for _, ev := range sp.Events() {
			for _, kv := range ev.Attributes {
				check(ev.Name+" "+string(kv.Key), kv.Value.String())
			}
		}
	}
	for _, p := range points(t, s.collect(t)[MetricBreakerState]) {
		for k, v := range p.attrs {
			check(string(k), v)
		}
	}
}
