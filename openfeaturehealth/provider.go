package openfeaturehealth

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/probekit/probekit/core"
)

// Name is the provider's name in openfeature.Metadata.
const Name = "probekit"

// eventBuffer is how many ConfigurationChanged events wait for the SDK; a
// change while it is full is dropped (see Provider).
const eventBuffer = 64

// The variants a flag resolves to.
const (
	VariantOn        = "on"         // enabled: its checks are healthy
	VariantOff       = "off"        // disabled: a check it follows failed
	VariantForcedOn  = "forced-on"  // an operator forced it on
	VariantForcedOff = "forced-off" // an operator forced it off
)

// Provider is an OpenFeature provider whose boolean flags are the features
// of a core.Registry (see core.Registry.Feature): a flag's value is
// core.Feature.Enabled, read at evaluation time.
//
// A flag that is not a feature resolves to the caller's default with
// FLAG_NOT_FOUND; a string, number or object evaluation of a feature to
// the default with TYPE_MISMATCH. A feature resolves with reason STATIC
// when on and DISABLED when off (its value is then false, whatever the
// default: the capability is not usable), the variant "on", "off",
// "forced-on" or "forced-off", and flag metadata saying why: "why" (as in
// the health reports), "healthy" (what the checks alone say), "checks"
// (the followed checks, comma-separated), "forced", and while forced
// "forcedBy", "forcedUntil" (RFC 3339) and "forcedReason".
//
// When a feature turns on or off, the provider emits
// PROVIDER_CONFIGURATION_CHANGED with the flag's name in FlagChanges.
// Events wait in a buffer of 64 for the SDK; a change while it is full is
// dropped rather than holding up the registry's observers (the value read
// at evaluation is always current). A Provider is safe for concurrent use;
// after Shutdown it still evaluates but emits no events, and cannot be
// used again with another API. A Provider not made by New (the zero value)
// has no features: every flag resolves to its default with FLAG_NOT_FOUND.
type Provider struct {
	reg    *core.Registry
	remove func()

	mu     sync.Mutex // guards closed and sends on events
	closed bool
	events chan openfeature.Event
}

// New returns a Provider for reg's features and subscribes it to reg's
// transitions. A nil reg is an error.
func New(reg *core.Registry) (*Provider, error) {
	if reg == nil {
		return nil, errors.New("openfeaturehealth: New: registry is nil")
	}
	p := &Provider{reg: reg, events: make(chan openfeature.Event, eventBuffer)}
	remove, err := reg.AddObserver(observer{p})
	if err != nil {
		return nil, err
	}
	p.remove = remove
	return p, nil
}

// Metadata names the provider "probekit".
func (p *Provider) Metadata() openfeature.Metadata { return openfeature.Metadata{Name: Name} }

// Hooks returns none.
func (p *Provider) Hooks() []openfeature.Hook { return nil }

// Init is called by the SDK when the provider is set; the registry is ready
// to answer, so it returns nil at once.
func (p *Provider) Init(openfeature.EvaluationContext) error { return nil }

// Shutdown unsubscribes the provider from the registry and closes its event
// channel. It is idempotent.
func (p *Provider) Shutdown() {
	if p.remove != nil {
		p.remove()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		if p.events != nil {
			close(p.events)
		}
	}
}

// lookup returns the feature called flag, or nil; a Provider not made by
// New has no registry, hence no features.
func (p *Provider) lookup(flag string) *core.Feature {
	if p.reg == nil {
		return nil
	}
	return p.reg.LookupFeature(flag)
}

// EventChannel is where the SDK reads the provider's events.
func (p *Provider) EventChannel() <-chan openfeature.Event { return p.events }

// BooleanEvaluation resolves flag to its feature's Enabled.
func (p *Provider) BooleanEvaluation(_ context.Context, flag string, defaultValue bool, _ openfeature.FlattenedContext) openfeature.BoolResolutionDetail {
	f := p.lookup(flag)
	if f == nil {
		return openfeature.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: notFound(flag)}
	}
	st := f.State()
	d := openfeature.ProviderResolutionDetail{Reason: openfeature.StaticReason, Variant: VariantOn, FlagMetadata: metadata(st)}
	switch {
	case st.Forced != nil && st.Enabled:
		d.Variant = VariantForcedOn
	case st.Forced != nil:
		d.Reason, d.Variant = openfeature.DisabledReason, VariantForcedOff
	case !st.Enabled:
		d.Reason, d.Variant = openfeature.DisabledReason, VariantOff
	}
	return openfeature.BoolResolutionDetail{Value: st.Enabled, ProviderResolutionDetail: d}
}

// StringEvaluation returns defaultValue with TYPE_MISMATCH for a feature
// (features are boolean), FLAG_NOT_FOUND for any other flag.
func (p *Provider) StringEvaluation(_ context.Context, flag string, defaultValue string, _ openfeature.FlattenedContext) openfeature.StringResolutionDetail {
	return openfeature.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: p.notBool(flag, "string")}
}

// FloatEvaluation returns defaultValue with TYPE_MISMATCH for a feature,
// FLAG_NOT_FOUND for any other flag.
func (p *Provider) FloatEvaluation(_ context.Context, flag string, defaultValue float64, _ openfeature.FlattenedContext) openfeature.FloatResolutionDetail {
	return openfeature.FloatResolutionDetail{Value: defaultValue, ProviderResolutionDetail: p.notBool(flag, "float")}
}

// IntEvaluation returns defaultValue with TYPE_MISMATCH for a feature,
// FLAG_NOT_FOUND for any other flag.
func (p *Provider) IntEvaluation(_ context.Context, flag string, defaultValue int64, _ openfeature.FlattenedContext) openfeature.IntResolutionDetail {
	return openfeature.IntResolutionDetail{Value: defaultValue, ProviderResolutionDetail: p.notBool(flag, "int")}
}

// ObjectEvaluation returns defaultValue with TYPE_MISMATCH for a feature,
// FLAG_NOT_FOUND for any other flag.
func (p *Provider) ObjectEvaluation(_ context.Context, flag string, defaultValue any, _ openfeature.FlattenedContext) openfeature.InterfaceResolutionDetail {
	return openfeature.InterfaceResolutionDetail{Value: defaultValue, ProviderResolutionDetail: p.notBool(flag, "object")}
}

// notBool is the resolution of a non-boolean evaluation of flag.
func (p *Provider) notBool(flag, typ string) openfeature.ProviderResolutionDetail {
	if p.lookup(flag) == nil {
		return notFound(flag)
	}
	return openfeature.ProviderResolutionDetail{
		ResolutionError: openfeature.NewTypeMismatchResolutionError("feature " + strconv.Quote(flag) + " is boolean, not " + typ),
		Reason:          openfeature.ErrorReason,
	}
}

func notFound(flag string) openfeature.ProviderResolutionDetail {
	return openfeature.ProviderResolutionDetail{
		ResolutionError: openfeature.NewFlagNotFoundResolutionError("no feature " + quote(flag) + " in the probekit registry"),
		Reason:          openfeature.ErrorReason,
	}
}

// metadata is the flag metadata of a feature's state.
func metadata(st core.FeatureState) openfeature.FlagMetadata {
	m := openfeature.FlagMetadata{
		"why":     st.Why,
		"healthy": st.Healthy,
		"checks":  strings.Join(st.Checks, ","),
		"forced":  st.Forced != nil,
	}
	if fo := st.Forced; fo != nil {
		m["forcedBy"] = fo.Actor
		m["forcedUntil"] = fo.Until.UTC().Format(time.RFC3339)
		m["forcedReason"] = fo.Reason
	}
	return m
}

// quote quotes a flag name from the caller for an error message, cut to a
// readable length.
func quote(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}

// changed emits ConfigurationChanged for the feature called name, or drops
// it when the buffer is full or the provider shut down.
func (p *Provider) changed(name, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	select {
	case p.events <- openfeature.Event{
		ProviderName: Name,
		EventType:    openfeature.ProviderConfigChange,
		ProviderEventDetails: openfeature.ProviderEventDetails{
			Message:     "feature " + name + ": " + why,
			FlagChanges: []string{name},
		},
	}:
	default:
	}
}

// observer is the Provider's subscription to the registry's transitions.
type observer struct{ p *Provider }

func (observer) ObserveResult(core.Result) {}

func (o observer) ObserveTransition(t core.Transition) {
	if t.Component == "feature" {
		o.p.changed(t.Name, t.Reason)
	}
}
