// Package openfeaturehealth provides a registry's features (core.Feature:
// capabilities that follow health checks and can be forced by an operator)
// as boolean flags of an OpenFeature provider, for services that already
// evaluate their flags through OpenFeature:
//
//	h, _ := core.New(core.Options{Service: "shop"})
//	_ = h.Register(core.Check{Name: "recs-cache", Check: cachePing, Interval: 5 * time.Second, Optional: true})
//	_, _ = h.Feature(core.FeatureOptions{Name: "recommendations", Checks: []string{"recs-cache"}})
//
//	p, _ := openfeaturehealth.New(h)
//	_ = openfeature.SetProviderAndWait(p)
//	client := openfeature.NewDefaultClient()
//	if client.Boolean(ctx, "recommendations", false, openfeature.EvaluationContext{}) {
//		// show recommendations
//	}
//
// To combine these flags with those of a flag service, put both providers
// under the SDK's multi-provider (openfeature/multi), or give this one a
// domain of its own (openfeature.SetNamedProvider).
//
// Why this dependency: github.com/open-feature/go-sdk is the CNCF
// OpenFeature SDK, the vendor-neutral flag API that flag services
// (flagd, LaunchDarkly, Flagsmith, GO Feature Flag, ...) plug into. Teams
// that use it want health-driven flags through the same client, hooks and
// telemetry as their other flags; implementing its FeatureProvider
// interface is the only way in, and core stays standard library only by
// keeping the SDK in this module. The SDK brings no other module into a
// build.
package openfeaturehealth
