package fiber3health_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/gofiber/fiber/v3"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, fasthttpDate) }

// fasthttpDate is the one goroutine fasthttp owns that outlives a server by
// design: it refreshes fasthttp's cached Date header, is started on first use
// and never stops. The worker pool cleaner each Serve starts is not ignored:
// every test and example that serves shortens its
// Server().MaxIdleWorkerDuration (see newServerApp), so it exits soon after
// Serve returns.
var fasthttpDate = goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1")

// quiet keeps the registry's transition log out of the test output.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// noTimeout lets app.Test wait for the answer as long as it takes: a loaded
// machine must not fail a test.
var noTimeout = fiber.TestConfig{Timeout: 0}
