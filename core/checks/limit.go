package checks

import (
	"fmt"

	"github.com/probekit/probekit/core"
)

// LimitOptions configures how [DiskSpace], [Goroutines] and [HeapInUse]
// report a breached limit. The zero value reports it as unavailable.
//
// For a soft and a hard limit, register two checks on the same resource:
// one with Degraded set at the soft limit, one without at the hard limit.
type LimitOptions struct {
	// Degraded reports a breached limit with core.Degraded: the report says
	// "degraded" and, by default, the pod stays in rotation. Default: false,
	// the check fails (unavailable).
	Degraded bool
}

// breach returns the error for a breached limit, degraded or not as
// configured. reason is shown in responses; detail is the underlying error.
func (o LimitOptions) breach(reason, detail string) error {
	err := fmt.Errorf("limit exceeded: %s", detail)
	if o.Degraded {
		return core.Degraded(reason, err)
	}
	return core.Unhealthy(reason, err)
}

// formatBytes renders n in binary units with up to one decimal:
// "512 B", "1.5 KiB", "20 GiB".
func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + string("KMGTPE"[exp]) + "iB"
}
