package openfeaturehealth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/openfeaturehealth"
)

// switchable is a check whose outcome the test sets.
type switchable struct{ err atomic.Pointer[error] }

func (s *switchable) set(err error) { s.err.Store(&err) }

func (s *switchable) check(context.Context) error {
	if p := s.err.Load(); p != nil {
		return *p
	}
	return nil
}

// fixture is a registry with a check "cache" and a feature "recs"
// following it, served to an isolated OpenFeature API through the
// provider.
type fixture struct {
	h      *core.Registry
	cache  switchable
	recs   *core.Feature
	api    *openfeature.EvaluationAPI
	client *openfeature.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	h, err := core.New(core.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	fx := &fixture{h: h}
	if err := h.Register(core.Check{Name: "cache", Check: fx.cache.check, Optional: true}); err != nil {
		t.Fatal(err)
	}
	if fx.recs, err = h.Feature(core.FeatureOptions{Name: "recs", Checks: []string{"cache"}}); err != nil {
		t.Fatal(err)
	}
	p, err := openfeaturehealth.New(h)
	if err != nil {
		t.Fatal(err)
	}
	fx.api = isolated.NewAPI()
	if err := fx.api.SetProviderAndWait(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fx.api.Shutdown(context.Background()) })
	fx.client = fx.api.NewClient()
	return fx
}

func (fx *fixture) probe(t *testing.T) {
	t.Helper()
	if _, err := fx.h.Evaluate(context.Background(), core.Readiness); err != nil {
		t.Fatal(err)
	}
}

// Boolean flags are the features, through the SDK's own client: value,
// reason, variant and the why in the metadata.
func TestBooleanFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(t *testing.T, fx *fixture)
		def     bool
		value   bool
		reason  openfeature.Reason
		variant string
		why     string
		forced  bool
	}{
		{"healthy", func(t *testing.T, fx *fixture) { fx.probe(t) }, false, true, openfeature.StaticReason, "on", "checks ok", false},
		{"check failed", func(t *testing.T, fx *fixture) {
			fx.cache.set(errors.New("connection refused"))
			fx.probe(t)
		}, true, false, openfeature.DisabledReason, "off", `check "cache" is unavailable`, false},
		{"not run yet", func(*testing.T, *fixture) {}, true, false, openfeature.DisabledReason, "off", `check "cache" is unavailable`, false},
		{"forced off", func(t *testing.T, fx *fixture) {
			fx.probe(t)
			if err := fx.recs.Force(core.ForceOptions{Duration: time.Hour, Actor: "alice", Reason: "INC-9"}); err != nil {
				t.Fatal(err)
			}
		}, true, false, openfeature.DisabledReason, "forced-off", "forced off by alice until ", true},
		{"forced on", func(t *testing.T, fx *fixture) {
			fx.cache.set(errors.New("down"))
			fx.probe(t)
			if err := fx.recs.Force(core.ForceOptions{On: true, Duration: time.Hour, Actor: "bob"}); err != nil {
				t.Fatal(err)
			}
		}, false, true, openfeature.StaticReason, "forced-on", "forced on by bob until ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t)
			tt.setup(t, fx)
			d, err := fx.client.BooleanValueDetails(context.Background(), "recs", tt.def, openfeature.EvaluationContext{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Value != tt.value || d.Reason != tt.reason || d.Variant != tt.variant {
				t.Errorf("value %v, reason %s, variant %q; want %v, %s, %q", d.Value, d.Reason, d.Variant, tt.value, tt.reason, tt.variant)
			}
			why, _ := d.FlagMetadata.GetString("why")
			forced, _ := d.FlagMetadata.GetBool("forced")
			checks, _ := d.FlagMetadata.GetString("checks")
			if !strings.HasPrefix(why, tt.why) || forced != tt.forced || checks != "cache" {
				t.Errorf("metadata %v; want why %q..., forced %v", d.FlagMetadata, tt.why, tt.forced)
			}
			if v, err := fx.client.BooleanValue(context.Background(), "recs", tt.def, openfeature.EvaluationContext{}); err != nil || v != tt.value {
				t.Errorf("BooleanValue = %v, %v", v, err)
			}
		})
	}
}

// Errors follow the specification: FLAG_NOT_FOUND for a flag that is no
// feature, TYPE_MISMATCH for a feature asked as another type; the caller's
// default either way.
func TestFlagErrors(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	fx.probe(t)
	ctx, ec := context.Background(), openfeature.EvaluationContext{}

	d, err := fx.client.BooleanValueDetails(ctx, "nosuch", true, ec)
	if err == nil || d.ErrorCode != openfeature.FlagNotFoundCode || !d.Value || d.Reason != openfeature.ErrorReason {
		t.Errorf("unknown flag: %+v, %v", d, err)
	}
	s, err := fx.client.StringValueDetails(ctx, "recs", "fallback", ec)
	if err == nil || s.ErrorCode != openfeature.TypeMismatchCode || s.Value != "fallback" {
		t.Errorf("string of a feature: %+v, %v", s, err)
	}
	i, err := fx.client.IntValueDetails(ctx, "recs", 7, ec)
	if err == nil || i.ErrorCode != openfeature.TypeMismatchCode || i.Value != 7 {
		t.Errorf("int of a feature: %+v, %v", i, err)
	}
	f, err := fx.client.FloatValueDetails(ctx, "nosuch", 1.5, ec)
	if err == nil || f.ErrorCode != openfeature.FlagNotFoundCode || f.Value != 1.5 {
		t.Errorf("float of an unknown flag: %+v, %v", f, err)
	}
	o, err := fx.client.ObjectValueDetails(ctx, "recs", "x", ec)
	if err == nil || o.ErrorCode != openfeature.TypeMismatchCode || o.Value != "x" {
		t.Errorf("object of a feature: %+v, %v", o, err)
	}
}

// A feature that flips reaches the SDK's handlers as
// PROVIDER_CONFIGURATION_CHANGED naming the flag.
func TestConfigurationChanged(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	changes := make(chan openfeature.EventDetails, 8)
	cb := func(d openfeature.EventDetails) { changes <- d }
	fx.api.AddHandler(openfeature.ProviderConfigChange, &cb)
	fx.probe(t) // recs: off -> on
	d := <-changes
	if len(d.FlagChanges) != 1 || d.FlagChanges[0] != "recs" || d.ProviderName != openfeaturehealth.Name {
		t.Fatalf("event %+v, want recs changed", d)
	}
	fx.cache.set(errors.New("down"))
	fx.probe(t) // on -> off
	if d = <-changes; !strings.Contains(d.Message, `check "cache" is unavailable`) {
		t.Errorf("event %+v, want the why", d)
	}
	if v, _ := fx.client.BooleanValue(context.Background(), "recs", true, openfeature.EvaluationContext{}); v {
		t.Error("recs still on after the change")
	}
}

func TestNewNilRegistry(t *testing.T) {
	t.Parallel()
	if p, err := openfeaturehealth.New(nil); p != nil || err == nil {
		t.Errorf("New(nil) = %v, %v", p, err)
	}
}
