package echo5health_test

import (
	"io"
	"log/slog"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// quiet keeps the registry's transition log out of the test output.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
