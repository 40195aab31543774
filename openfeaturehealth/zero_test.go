package openfeaturehealth_test

import (
	"context"
	"testing"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/probekit/probekit/openfeaturehealth"
)

// A Provider not made by New (a zero value, a careless &Provider{}) has no
// registry: it must resolve every flag to the default with FLAG_NOT_FOUND
// and shut down, not panic in the SDK's goroutines.
func TestZeroProvider(t *testing.T) {
	t.Parallel()
	var p openfeaturehealth.Provider
	defer func() {
		if v := recover(); v != nil {
			t.Fatalf("zero Provider panicked: %v", v)
		}
	}()
	b := p.BooleanEvaluation(context.Background(), "recs", true, nil)
	if !b.Value || b.ResolutionError.Error() == "" || b.Reason != openfeature.ErrorReason {
		t.Errorf("boolean of a zero Provider: %+v, want the default with FLAG_NOT_FOUND", b)
	}
	s := p.StringEvaluation(context.Background(), "recs", "x", nil)
	if s.Value != "x" || s.Reason != openfeature.ErrorReason {
		t.Errorf("string of a zero Provider: %+v", s)
	}
	p.Shutdown()
	p.Shutdown()
}
