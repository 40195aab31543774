package checks

import (
	"context"
	"fmt"
	"runtime"

	"github.com/probekit/probekit/core"
)

// Goroutines returns a check that fails (or degrades, see [LimitOptions])
// when the process runs more than max goroutines. A goroutine count that
// only grows is the usual sign of a leak: requests that never finish,
// connections never closed. The check costs one runtime.NumGoroutine call.
//
// Failures read "goroutines: 10234 running (max 10000)". Goroutines returns
// an error if max is not positive.
func Goroutines(max int, opts LimitOptions) (core.CheckFunc, error) {
	if max <= 0 {
		return nil, fmt.Errorf("checks: Goroutines: max must be positive, got %d", max)
	}
	return func(context.Context) error {
		n := runtime.NumGoroutine()
		if n <= max {
			return nil
		}
		return opts.breach(
			fmt.Sprintf("goroutines: %d running (max %d)", n, max),
			fmt.Sprintf("%d goroutines, limit %d", n, max))
	}, nil
}
