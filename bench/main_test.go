package bench

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(panicChildEnv) != "" {
		// A child of TestPanickingCheck: it is there to die or not, and
		// what a dying library leaves behind is not this test's finding.
		os.Exit(m.Run())
	}
	goleak.VerifyTestMain(m,
		// BenchmarkHung measures this leak of health-go's: the goroutine
		// that runs a check sends its result on an unbuffered channel that
		// nobody reads once the check has timed out.
		goleak.IgnoreAnyFunction("github.com/hellofresh/health-go/v5.(*Health).Measure.func1.2"),
	)
}
