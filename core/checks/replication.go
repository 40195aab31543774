package checks

import (
	"fmt"
	"time"

	"github.com/probekit/probekit/core"
)

// DefaultDegradedLag is the replication lag at or above which
// [PostgresReplication] and [MySQLReplication] report degraded when their
// options leave DegradedLag zero.
const DefaultDegradedLag = 30 * time.Second

// lagLimits are the validated lag thresholds of a replication check.
type lagLimits struct {
	degraded    time.Duration // > 0
	unavailable time.Duration // 0: lag alone never makes the check unavailable
}

// newLagLimits validates a replication check's DegradedLag and
// UnavailableLag, naming the fields of the options type typ.
func newLagLimits(typ string, degraded, unavailable time.Duration) (lagLimits, error) {
	switch {
	case degraded < 0:
		return lagLimits{}, fmt.Errorf("%s.DegradedLag %v is negative", typ, degraded)
	case unavailable < 0:
		return lagLimits{}, fmt.Errorf("%s.UnavailableLag %v is negative", typ, unavailable)
	}
	if degraded == 0 {
		degraded = DefaultDegradedLag
		if unavailable > 0 && unavailable < degraded {
			degraded = unavailable
		}
	}
	if unavailable > 0 && unavailable < degraded {
		return lagLimits{}, fmt.Errorf("%s.UnavailableLag %v is below %s.DegradedLag %v", typ, unavailable, typ, degraded)
	}
	return lagLimits{degraded: degraded, unavailable: unavailable}, nil
}

// judge returns nil when lag is below both limits, else the error of a
// check whose reason is prefix followed by the lag and the limit it reached:
// "postgres standby: replay lag 45s (degraded at 30s)". floor makes a lag
// below the degraded limit degraded anyway (a paused replay), with the
// reason prefix + "lag 2s".
func (l lagLimits) judge(prefix string, lag time.Duration, floor bool) error {
	text := prefix + "lag " + roundLag(lag).String()
	switch {
	case l.unavailable > 0 && lag >= l.unavailable:
		return core.Unhealthy(text+" (unavailable at "+l.unavailable.String()+")", nil)
	case lag >= l.degraded:
		return core.Degraded(text+" (degraded at "+l.degraded.String()+")", nil)
	case floor:
		return core.Degraded(text, nil)
	}
	return nil
}

// roundLag keeps a lag readable: milliseconds below a second, tenths of a
// second above.
func roundLag(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// plural returns "1 standby" or "2 standbys".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
