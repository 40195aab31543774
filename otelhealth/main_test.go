package otelhealth

import (
	"testing"

	"go.uber.org/goleak"
)

// The registry runs checks on goroutines of its own, and the SDK may start
// some: every test shuts both down.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
