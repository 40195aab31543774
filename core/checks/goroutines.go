package checks

import (
	"context"
	"fmt"
	"runtime"

	"github.com/probekit/probekit/core"
)

// Goroutines returns a check that fails (or degrades, see [LimitOptions])
// when the process runs more than limit goroutines. A goroutine count that
// only grows is the usual sign of a leak: requests that never finish,
// connections never closed. The check costs one runtime.NumGoroutine call.
//
// Failures read "goroutines: 10234 running (max 10000)". Goroutines returns
// an error if limit is not positive.
func Goroutines(limit int, opts LimitOptions) (core.CheckFunc, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("checks: Goroutines: limit must be positive, got %d", limit)
	}
	return func(context.Context) error {
		n := runtime.NumGoroutine()
		if n <= limit {
			return nil
		}
		return opts.breach(
			fmt.Sprintf("goroutines: %d running (max %d)", n, limit),
			fmt.Sprintf("%d goroutines, limit %d", n, limit))
	}, nil
}
