package breaker

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/probekit/probekit/core"
)

// Check returns a core check that reports the breaker's state without
// calling the dependency: closed is healthy; half-open is degraded
// (core.Degraded); open is unavailable (core.Unhealthy). Register it with
// Optional: true for a dependency the service can work without: an open
// breaker then degrades the report instead of failing it.
//
// Use it for a breaker that guards real traffic, so that readiness says
// what the service's own calls found out, e.g.
//
//	"open since 2025-06-01T12:00:03Z after 5 consecutive failures: connection refused"
//
// With Settings.Shared connected it reports the shared state, so that every
// replica says the same; while the shared state is unreachable it reports
// the local state, degraded at least, with LocalModeMessage.
//
// The message holds only core.Reason of the latest failure, never raw error
// text; the error itself is attached as the CheckError's Err, which probe
// responses show only with core.Options.ExposeErrors.
func (b *Breaker) Check() core.CheckFunc {
	return func(context.Context) error { return b.health() }
}

// Guard returns check run through the breaker, so that a dead dependency is
// not hammered by probes: while the breaker is open (or half-open with its
// trial calls in flight) the returned check does not call check and answers
// at once as Check does. Otherwise it runs check once — probes never retry,
// whatever Settings.Retry says — and returns its error, which counts toward
// the breaker like any call's; except that a degraded result (core.Degraded)
// counts as a success, since the dependency did answer, so that a degraded
// dependency never trips the guard into reporting it unavailable.
//
// Give Guard a breaker of its own. Sharing the breaker of real traffic makes
// probe failures count toward tripping it, and probes compete for its
// half-open trial calls. Guard(nil) is nil, which core.Registry.Register
// rejects.
func (b *Breaker) Guard(check core.CheckFunc) core.CheckFunc {
	if check == nil {
		return nil
	}
	return func(ctx context.Context) error {
		var degraded error
		_, ran, err := attempt(ctx, b, func(ctx context.Context) (struct{}, error) {
			err := check(ctx)
			if ce := (*core.CheckError)(nil); errors.As(err, &ce) && ce.Degraded {
				degraded = err
				return struct{}{}, nil
			}
			return struct{}{}, err
		})
		switch {
		case !ran:
			return b.health()
		case degraded != nil:
			return degraded
		}
		return err
	}
}

// health maps the breaker's state to a check result.
func (b *Breaker) health() error {
	if b.shared != nil {
		return b.sharedHealth()
	}
	return b.localHealth()
}

func (b *Breaker) localHealth() error {
	h := b.snapshot()
	switch h.state {
	case StateClosed:
		return nil
	case StateHalfOpen:
		return core.Degraded("half-open since "+stamp(h.since)+", trying recovery; "+h.openMessage(), h.lastErr)
	}
	return core.Unhealthy(h.openMessage(), h.lastErr)
}

// sharedHealth reports the shared state while it is connected, so that
// every replica tells the same story; otherwise the local state, degraded
// at least, since the breaker no longer hears from the fleet.
func (b *Breaker) sharedHealth() error {
	if !b.shared.Connected() {
		err := b.localHealth()
		if err == nil {
			return core.Degraded(LocalModeMessage, nil)
		}
		ce := (*core.CheckError)(nil)
		if errors.As(err, &ce) {
			ce.Reason = ce.Reason + "; " + LocalModeMessage
		}
		return err
	}
	b.flush()
	v := b.shared.View()
	h := history{
		state: v.State, since: v.Since, openedAt: v.OpenedAt,
		tripFailures: uint32(v.TripFailures), failedTrials: v.FailedTrials, lastReason: v.Reason,
	}
	switch h.state {
	case StateClosed:
		return nil
	case StateHalfOpen:
		return core.Degraded("half-open since "+stamp(h.since)+", trying recovery; "+h.openMessage(), nil)
	}
	return core.Unhealthy(h.openMessage(), nil)
}

// LocalModeMessage is what Check says of a breaker whose Settings.Shared is
// unreachable, alone when the local breaker is closed (a degraded result)
// or after the local state otherwise.
const LocalModeMessage = "shared state unavailable, local mode"

// openMessage says since when the breaker has been failing calls and why:
// "open since T after 5 consecutive failures and 2 failed recovery trials:
// connection refused".
func (h *history) openMessage() string {
	m := "open since " + stamp(h.openedAt) + " after " + plural(int(h.tripFailures), "consecutive failure")
	if h.failedTrials > 0 {
		m += " and " + plural(h.failedTrials, "failed recovery trial")
	}
	if r := h.lastReason; r != "" {
		m += ": " + r
	}
	return m
}

// stamp formats t in UTC as RFC 3339, to the second: short, unambiguous,
// and the same in every pod's log.
func stamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

func plural(n int, noun string) string {
	s := strconv.Itoa(n) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}
