package otelhealth

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/core"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// A user's request that fails because a real breaker is open carries that
// on its own span: which breaker, in which state, open since when; and the
// breaker's opening, notified to the registry, is a span and a metric.
func TestRecordBreaker(t *testing.T) {
	t.Parallel()
	s := newSDK(t)
	h := newRegistry(t, core.Options{})
	s.attach(t, h)
	tracer := s.opts.TracerProvider.Tracer("orders-service")
	pay, err := breaker.New("payments", breaker.Settings{
		FailureThreshold: 1, OpenTimeout: time.Hour, Retry: breaker.Retry{MaxAttempts: 1}, Notify: h.Notify,
	})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	_ = pay.Do(context.Background(), func(context.Context) error { return errors.New("connection refused") })
	after := time.Now()

	// request runs one request span around a call through the breaker and
	// returns what RecordBreaker reported and the ended span.
	request := func(name string, call func(ctx context.Context) error) (bool, sdktrace.ReadOnlySpan) {
		ctx, span := tracer.Start(context.Background(), name)
		recorded := RecordBreaker(ctx, call(ctx))
		span.End()
		spans := s.ended(name)
		if len(spans) != 1 {
			t.Fatalf("%d spans %q, want 1", len(spans), name)
		}
		return recorded, spans[0]
	}
	for _, tc := range []struct {
		name     string
		call     func(ctx context.Context) error
		rejected bool
	}{
		{"GET /checkout", func(ctx context.Context) error {
			_, err := breaker.Call(ctx, pay, func(context.Context) (string, error) { return "paid", nil })
			return err
		}, true},
		{"GET /checkout/wrapped", func(ctx context.Context) error {
			err := pay.Do(ctx, func(context.Context) error { return nil })
			return fmt.Errorf("checkout: %w", err)
		}, true},
		{"GET /orders", func(context.Context) error { return errors.New("no such order") }, false},
		{"GET /health", func(context.Context) error { return nil }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recorded, sp := request(tc.name, tc.call)
			if recorded != tc.rejected {
				t.Fatalf("RecordBreaker = %v, want %v", recorded, tc.rejected)
			}
			a := attrs(sp.Attributes())
			if !tc.rejected {
				if len(a) != 0 || len(sp.Events()) != 0 {
					t.Errorf("span of a request no breaker refused: attributes %v, events %v; want none", a, sp.Events())
				}
				return
			}
			if a[BreakerNameKey] != "payments" || a[BreakerStateKey] != "open" {
				t.Errorf("request span attributes %v, want breaker payments open", a)
			}
			since, err := time.Parse(time.RFC3339Nano, a[BreakerOpenSinceKey])
			if err != nil || since.Before(before) || since.After(after) {
				t.Errorf("%s = %q (%v), want the trip's time, between %v and %v", BreakerOpenSinceKey, a[BreakerOpenSinceKey], err, before, after)
			}
			evs := sp.Events()
			if len(evs) != 1 || evs[0].Name != EventBreakerRejected || attrs(evs[0].Attributes)[BreakerNameKey] != "payments" {
				t.Errorf("events %v, want one %s naming payments", evs, EventBreakerRejected)
			}
			if sp.Status().Code != 0 {
				t.Errorf("status %v: RecordBreaker must leave the request's status to the request", sp.Status())
			}
		})
	}

	// Without a recording span it still reports the rejection, and records
	// nothing anywhere.
	err = pay.Do(context.Background(), func(context.Context) error { return nil })
	if !RecordBreaker(context.Background(), err) {
		t.Error("RecordBreaker without a span = false, want true for a rejection")
	}
	noop := trace.ContextWithSpan(context.Background(), trace.SpanFromContext(context.Background()))
	if !RecordBreaker(noop, err) {
		t.Error("RecordBreaker with a non-recording span = false, want true")
	}

	if n := len(s.ended("breaker open")); n != 1 {
		t.Errorf("%d %q spans, want the 1 of the trip", n, "breaker open")
	}
	if v, ok := value(t, s.collect(t)[MetricBreakerState], map[attribute.Key]string{BreakerNameKey: "payments", BreakerStateKey: "open"}); !ok || v != 1 {
		t.Errorf("%s{payments, open} = %v (present %v), want 1", MetricBreakerState, v, ok)
	}
}
