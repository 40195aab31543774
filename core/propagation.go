package core

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// The bounds that can end the adaptive propagation delay, as logged
// (attribute "bound") and leading the Reason of the "propagation" step's
// Transition.
const (
	// BoundMinimum: no request had arrived for Options.QuietPeriod when
	// Options.PropagationDelay was reached.
	BoundMinimum = "minimum"
	// BoundQuiet: no request came for Options.QuietPeriod, which ended
	// after Options.PropagationDelay: requests kept arriving past it, or
	// (with no traffic at all) QuietPeriod is longer than
	// PropagationDelay, and counts from the start of the wait.
	BoundQuiet = "quiet"
	// BoundMaximum: requests were still arriving at
	// Options.PropagationDelayMax.
	BoundMaximum = "maximum"
)

// ReasonStoppedByItself is the Reason of the "propagation" step's
// Transition when the server stopped by itself (see [Registry.Run]): there
// was no propagation delay, the listener being gone already, and the step
// ends at once.
const ReasonStoppedByItself = "none: the server stopped by itself"

// adaptiveDelay is the adaptive propagation delay's configuration: the
// wait ends once min has passed and no request has arrived for quiet, or at
// max.
type adaptiveDelay struct {
	min, quiet, max time.Duration
}

// end says whether the wait ends elapsed after its start, the last arrival
// seen lastArrival after it (zero when none was: the start counts as one,
// since a request may have arrived just before). It returns the bound that
// ends it ("" to keep waiting) and the reason to report.
func (d adaptiveDelay) end(elapsed, lastArrival time.Duration) (bound, reason string) {
	quietFor := elapsed - lastArrival
	switch {
	case elapsed >= d.min && quietFor >= d.quiet:
		if lastArrival+d.quiet <= d.min {
			return BoundMinimum, fmt.Sprintf("minimum %v reached, quiet for %v", d.min, quietFor.Round(time.Millisecond))
		}
		return BoundQuiet, fmt.Sprintf("quiet for %v after %v", d.quiet, elapsed.Round(time.Millisecond))
	case elapsed >= d.max:
		return BoundMaximum, fmt.Sprintf("maximum %v reached with requests still arriving", d.max)
	}
	return "", ""
}

// sampleEvery is how often the adaptive wait reads the arrivals: a quarter
// of the quiet period (so that the quiet period is overrun by at most that),
// and no more often than every millisecond.
func (d adaptiveDelay) sampleEvery() time.Duration { return max(d.quiet/4, time.Millisecond) }

// propagate is step 2 of the sequence: keep serving, with readiness
// failing, so that load balancers stop sending before the listeners close.
// The fixed delay waits Options.PropagationDelay; the adaptive one (with
// Options.QuietPeriod) samples the drain counter's arrivals, never touching
// the request path. It logs how the wait ended and returns the reason for
// the step's Transition: "" for the fixed delay, whose event is as it
// always was.
func (r *Registry) propagate(ctx context.Context) string {
	log := r.opts.Logger
	start := time.Now()
	cutShort := func(adaptive ...any) {
		args := append([]any{"after", since(start), "delay", r.opts.PropagationDelay,
			"cause", redactError(context.Cause(ctx)), "in_flight", r.inFlight.Count()}, adaptive...)
		log.Warn("probekit: propagation delay cut short, closing listeners", args...)
	}
	if r.opts.QuietPeriod == 0 {
		delay := time.NewTimer(r.opts.PropagationDelay)
		defer delay.Stop()
		select {
		case <-delay.C:
			log.Info("probekit: propagation delay over, closing listeners", "delay", r.opts.PropagationDelay, "in_flight", r.inFlight.Count())
		case <-ctx.Done():
			cutShort()
		}
		return ""
	}

	d := adaptiveDelay{min: r.opts.PropagationDelay, quiet: r.opts.QuietPeriod, max: r.opts.PropagationDelayMax}
	minT, maxT := time.NewTimer(d.min), time.NewTimer(d.max)
	tick := time.NewTicker(d.sampleEvery())
	defer func() { minT.Stop(); maxT.Stop(); tick.Stop() }()
	first := r.inFlight.arrivals()
	seen := first
	var lastArrival time.Duration
	for {
		select {
		case <-minT.C:
		case <-maxT.C:
		case <-tick.C:
		case <-ctx.Done():
			// The minimum alone ("delay") does not say how long the wait
			// could have lasted: the bounds and the arrivals seen do.
			cutShort("quiet_period", d.quiet, "delay_max", d.max, "arrived", r.inFlight.arrivals()-first)
			return "cut short after " + since(start).String()
		}
		elapsed := time.Since(start)
		if a := r.inFlight.arrivals(); a != seen {
			seen, lastArrival = a, elapsed
		}
		if bound, reason := d.end(elapsed, lastArrival); bound != "" {
			level := slog.LevelInfo
			if bound == BoundMaximum { // requests still arriving may be refused
				level = slog.LevelWarn
			}
			log.Log(ctx, level, "probekit: propagation delay over, closing listeners", "bound", bound, "reason", reason,
				"after", elapsed.Round(time.Millisecond), "arrived", seen-first, "in_flight", r.inFlight.Count())
			return bound + ": " + reason
		}
	}
}
