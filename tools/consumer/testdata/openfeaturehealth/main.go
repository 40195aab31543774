// A consumer of openfeaturehealth alone: a feature that follows a check,
// evaluated through the OpenFeature SDK's client.
package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/openfeaturehealth"
)

func main() {
	ctx := context.Background()
	h, err := core.New(core.Options{Service: "consumer"})
	if err != nil {
		fail(err)
	}
	defer h.Close()
	if err := h.Register(core.Check{Name: "consumer", Check: func(context.Context) error { return nil }}); err != nil {
		fail(err)
	}
	if _, err := h.Feature(core.FeatureOptions{Name: "consumer-feature", Checks: []string{"consumer"}}); err != nil {
		fail(err)
	}
	p, err := openfeaturehealth.New(h)
	if err != nil {
		fail(err)
	}
	if err := openfeature.SetProviderAndWait(p); err != nil {
		fail(err)
	}
	defer openfeature.Shutdown()
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz?verbose", nil))
	on, err := openfeature.NewDefaultClient().BooleanValue(ctx, "consumer-feature", false, openfeature.EvaluationContext{})
	if err != nil || !on {
		fail(fmt.Errorf("consumer-feature = %v, %v; want true", on, err))
	}
	fmt.Printf("%d\n%s", rec.Code, rec.Body)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
