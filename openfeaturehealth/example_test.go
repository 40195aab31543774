package openfeaturehealth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/openfeaturehealth"
)

// A feature that follows a check, evaluated through the OpenFeature client.
func Example() {
	ctx := context.Background()
	h, _ := core.New(core.Options{Service: "shop", Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	cacheDown := false
	_ = h.Register(core.Check{Name: "recs-cache", Optional: true, Check: func(context.Context) error {
		if cacheDown {
			return errors.New("connection refused")
		}
		return nil
	}})
	_, _ = h.Feature(core.FeatureOptions{Name: "recommendations", Checks: []string{"recs-cache"}})

	p, _ := openfeaturehealth.New(h)
	api := isolated.NewAPI() // or the global API: openfeature.SetProviderAndWait(p)
	defer func() { _ = api.Shutdown(ctx) }()
	_ = api.SetProviderAndWait(ctx, p)
	client := api.NewClient()

	_, _ = h.Evaluate(ctx, core.Readiness) // a probe runs the check
	d, _ := client.BooleanValueDetails(ctx, "recommendations", false, openfeature.EvaluationContext{})
	fmt.Println(d.Value, d.Reason)

	cacheDown = true
	_, _ = h.Evaluate(ctx, core.Readiness)
	d, _ = client.BooleanValueDetails(ctx, "recommendations", true, openfeature.EvaluationContext{})
	why, _ := d.FlagMetadata.GetString("why")
	fmt.Println(d.Value, d.Reason, why)
	// Output:
	// true STATIC
	// false DISABLED check "recs-cache" is unavailable
}
