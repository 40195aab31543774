package checks

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"

	"github.com/probekit/probekit/core"
)

// The runtime/metrics samples whose sum is the heap in use: the same figure as
// runtime.MemStats.HeapInuse, read without stopping the world.
const (
	heapObjectsMetric = "/memory/classes/heap/objects:bytes"
	heapUnusedMetric  = "/memory/classes/heap/unused:bytes"
)

// HeapInUse returns a check that fails (or degrades, see [LimitOptions])
// when the Go heap in use (bytes in in-use spans, runtime.MemStats.HeapInuse)
// exceeds limit bytes. Set limit below the container's memory limit to take the
// pod out of rotation, or restart it from a liveness probe, before the
// kernel kills it.
//
// The check reads runtime/metrics, which does not stop the world. Failures
// read "heap: 1.9 GiB in use (max 1.5 GiB)". HeapInUse returns an error if
// limit is zero.
func HeapInUse(limit uint64, opts LimitOptions) (core.CheckFunc, error) {
	if limit == 0 {
		return nil, errors.New("checks: HeapInUse: limit must be positive")
	}
	return func(context.Context) error {
		n, err := heapInUse()
		if err != nil {
			return core.Unhealthy("heap: cannot read runtime metrics", err)
		}
		if n <= limit {
			return nil
		}
		return opts.breach(
			fmt.Sprintf("heap: %s in use (max %s)", formatBytes(n), formatBytes(limit)),
			fmt.Sprintf("heap in use %d bytes, limit %d", n, limit))
	}, nil
}

// heapInUse returns the bytes of the heap in use.
func heapInUse() (uint64, error) {
	s := []metrics.Sample{{Name: heapObjectsMetric}, {Name: heapUnusedMetric}}
	metrics.Read(s)
	var total uint64
	for _, m := range s {
		if m.Value.Kind() != metrics.KindUint64 {
			return 0, fmt.Errorf("runtime metric %s is not supported by this Go runtime", m.Name)
		}
		total += m.Value.Uint64()
	}
	return total, nil
}
