package recipes_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The clients start goroutines (pools, readers, reconnect loops); each test
// closes its client, and goleak proves it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
