package promhealth

import (
	"errors"
	"slices"
	"strings"

	"github.com/probekit/probekit/core"
)

// observer is the Collector's subscription to its registry. It is a type of
// its own so that ObserveResult and ObserveTransition are not part of the
// Collector's API.
type observer struct{ c *Collector }

// ObserveResult records a check's run; it takes the check's own lock, and
// the Collector's read lock, and allocates nothing.
func (o observer) ObserveResult(r core.Result) {
	o.c.stats(r.Name, false).observe(&r, o.c.opts.Buckets)
}

// ObserveTransition records the transitions the metrics follow: a check's
// status change, the lifecycle's, a breaker's and the shutdown's phases.
// Others are ignored.
func (o observer) ObserveTransition(t core.Transition) {
	c := o.c
	switch t.Component {
	case "check":
		if s := c.stats(t.Name, true); s != nil {
			s.transition()
		}
	case "lifecycle":
		c.mu.Lock()
		defer c.mu.Unlock()
		switch t.To {
		case core.StateDraining.String():
			c.shutdown.start(t.Time)
		case core.StateStopped.String():
			c.shutdown.end("total", t.Time)
		}
	case "shutdown":
		c.mu.Lock()
		defer c.mu.Unlock()
		switch t.To {
		case "abandoned":
			var dte *core.DrainTimeoutError
			n, ok := uint64(0), false
			if errors.As(t.Err, &dte) {
				n, ok = uint64(max(dte.Abandoned, 0)), true
			} else {
				n, ok = abandonedCount(t.Reason)
			}
			if !ok { // no count given: the requests still in flight now are the ones abandoned
				n = uint64(max(c.h.InFlight().Count(), 0))
			}
			c.shutdown.abandoned += n
		case "done":
			c.shutdown.end(labelValue(t.Name), t.Time)
		}
	case "breaker":
		if !slices.Contains(breakerStates, t.To) {
			return // not a breaker state: the to label stays bounded
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		name := labelValue(t.Name)
		b := c.breakers[name]
		if b == nil {
			if len(c.breakers) >= maxBreakers {
				return
			}
			b = &breakerStats{transitions: make(map[string]uint64, len(breakerStates))}
			c.breakers[name] = b
		}
		b.state = t.To
		b.transitions[t.To]++
	}
}

// maxBreakers bounds the breaker label's values: breakers are declared by
// the service, so a thousand is a bug (a breaker per tenant or per URL),
// and the metrics stop growing rather than the scrape.
const maxBreakers = 1000

// labelValue makes a name that arrived through Notify a valid label value:
// invalid UTF-8 becomes U+FFFD. Otherwise Collect would panic (on the
// gathering goroutine, which ends the process) or Gather fail the whole
// scrape.
func labelValue(name string) string { return strings.ToValidUTF8(name, "\uFFFD") }

// abandonedCount reads the number that leads the reason of an "abandoned"
// transition ("3 requests still in flight"). ok is false when the reason
// does not start with a decimal number.
func abandonedCount(reason string) (n uint64, ok bool) {
	for i := 0; i < len(reason); i++ {
		c := reason[i]
		if c < '0' || c > '9' {
			return n, i > 0
		}
		d := uint64(c - '0')
		if n > (^uint64(0)-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, len(reason) > 0
}
