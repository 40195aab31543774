//go:build !linux

package conformance

// threadCPUTime reports that no per-thread CPU clock is available here.
func threadCPUTime() (int64, bool) { return 0, false }
