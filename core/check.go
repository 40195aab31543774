package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is the set of probes a check takes part in. Kinds combine with |:
// Liveness|Readiness registers one check for both probes.
type Kind uint8

// The probe kinds, named after the Kubernetes probes that call them.
const (
	// Liveness checks answer "is this process able to make progress?". A failing
	// liveness probe makes the kubelet restart the container, so only register
	// checks here that a restart can fix (a deadlocked loop, not a dead database).
	Liveness Kind = 1 << iota
	// Readiness checks answer "should this pod receive traffic?".
	Readiness
	// Startup checks answer "has this process finished starting?". Until they
	// pass, readiness reports unavailable with the message "starting".
	Startup

	allKinds = Liveness | Readiness | Startup
)

// String returns the probe's endpoint name: "livez", "readyz" or "startupz",
// or a "|"-joined list for a combination.
func (k Kind) String() string {
	var parts []string
	if k&Liveness != 0 {
		parts = append(parts, "livez")
	}
	if k&Readiness != 0 {
		parts = append(parts, "readyz")
	}
	if k&Startup != 0 {
		parts = append(parts, "startupz")
	}
	if k&^allKinds != 0 || len(parts) == 0 {
		return fmt.Sprintf("Kind(%d)", uint8(k))
	}
	return strings.Join(parts, "|")
}

// CheckFunc reports whether a dependency or an internal component is healthy.
// It returns nil when healthy. It must honour ctx: the registry cancels ctx at
// the check's Timeout, and a call that ignores it is abandoned (and not started
// again while it still runs).
//
// To report a partial failure, return an error made by [Degraded]; to give the
// probe response a reason that is safe to show, use [Unhealthy] or [Degraded].
//
// The registry calls it on a goroutine of its own and contains it: a panic,
// a call of runtime.Goexit (t.FailNow, testify's require) or an error whose
// methods panic (a nil *T returned as error) is a failed result with a
// reason that says so. The error is read once, on that goroutine, as the call
// ends: an Error method that never returns only keeps the call running, like
// a check that ignores ctx.
type CheckFunc func(ctx context.Context) error

// Check is a named health check and the policy the registry applies to it.
// The zero value of every policy field means its documented default.
type Check struct {
	// Name identifies the check in responses, in ?exclude= and in the
	// per-check path /readyz/{Name}. Required; letters, digits and "-_.:"
	// only, so that it is safe in a URL path and in the apiserver text form.
	Name string

	// Check is the function that is run. Required.
	Check CheckFunc

	// Kinds are the probes this check belongs to. Default: Readiness.
	Kinds Kind

	// Optional marks a check whose failure degrades the service instead of
	// making it unavailable: the report says "degraded" and, by default,
	// the probe still answers 200 so the pod stays in rotation. The default,
	// false, makes the check critical.
	Optional bool

	// Timeout bounds one run of the check. Default: Options.DefaultTimeout,
	// itself 800ms by default, below the kubelet's default 1s probe timeout.
	Timeout time.Duration

	// Interval, when > 0, runs the check in the background every Interval
	// (once Start is called) and probes read the last result; no probe ever
	// waits for it. When 0, the check runs during the probe, with concurrent
	// probes sharing one run.
	Interval time.Duration

	// InitialDelay postpones the first background run after Start.
	// Only meaningful with Interval > 0.
	InitialDelay time.Duration

	// ReuseWindow, when > 0, is how long the outcome of a synchronous call
	// (Interval 0) is reused: a probe that arrives less than ReuseWindow
	// after a call returned gets that call's result, without a call of its
	// own. Probes that arrive while a call runs always share it; the window
	// extends that to the probes of a storm that arrive just after it
	// (many load balancers, a probe burst), so that the dependency is
	// called once per wave. Default: 0, no reuse: every probe that finds no
	// call running calls the check, so that a probe right after a change
	// (a flag set, a dependency back) sees it. A window of the order of the
	// check's own duration, well below the probe period (the kubelet's is
	// 1s at least, 10s by default), suits most expensive checks.
	//
	// Only an outcome the call returned within its Timeout is reused:
	// after a timeout or a stuck call the next probe tries again (at most
	// one call at a time still holds). A reused result is not a new
	// outcome: it does not count towards FailureThreshold or
	// SuccessThreshold and reaches no observer again. It serves every
	// probe that reads the check: any kind, with or without ?exclude, the
	// per-check path, and Registry.Evaluate. It must be 0 with
	// Interval > 0, whose probes read the stored result anyway.
	ReuseWindow time.Duration

	// FailureThreshold is how many consecutive failures it takes to report a
	// healthy check as failed. Default: 1.
	FailureThreshold int

	// SuccessThreshold is how many consecutive successes it takes to report a
	// failed check as healthy again. Default: 1.
	SuccessThreshold int

	// Owner names who answers for the check when it fails: a team, an
	// on-call rotation ("team-payments"). Optional; at most 64 bytes, no
	// control characters. Shown in reports, the log line of a status
	// change and metrics (promhealth's probekit_check_info), so that an
	// alert says whom to page.
	Owner string

	// Runbook is the URL of what to do when the check fails. Optional; an
	// absolute http or https URL without user info, at most 256 bytes,
	// whose query holds no parameter named for a secret (access_token,
	// X-Amz-Signature, api_key, ...): reports are public.
	// Shown where Owner is (in application/health+json as the check's
	// "links" member, relation "help").
	Runbook string

	// Hint is a short note for the operator reading a failure ("failover
	// is automatic; page only if it lasts 10m"). Optional; at most 256
	// bytes, no control characters. Shown in reports and the log line of
	// a status change; not in metrics.
	Hint string
}

// ErrInvalidCheck is wrapped by every error Register returns for a bad Check.
var ErrInvalidCheck = errors.New("core: invalid check")

// DefaultTimeout is the check timeout used when neither Check.Timeout nor
// Options.DefaultTimeout is set.
const DefaultTimeout = 800 * time.Millisecond

// validate checks c and fills in its defaults. It never panics.
func (c Check) normalize(defaultTimeout time.Duration) (Check, error) {
	if c.Name == "" {
		return c, fmt.Errorf("%w: name is empty", ErrInvalidCheck)
	}
	if !validName(c.Name) {
		return c, fmt.Errorf("%w %q: name may only hold letters, digits and -_.:", ErrInvalidCheck, c.Name) //nolint:staticcheck // ST1005: the message ends with the list of the characters allowed
	}
	if c.Check == nil {
		return c, fmt.Errorf("%w %q: Check func is nil", ErrInvalidCheck, c.Name)
	}
	if c.Kinds&^allKinds != 0 {
		return c, fmt.Errorf("%w %q: unknown Kinds %d", ErrInvalidCheck, c.Name, uint8(c.Kinds))
	}
	if c.Kinds == 0 {
		c.Kinds = Readiness
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"Timeout", c.Timeout}, {"Interval", c.Interval}, {"InitialDelay", c.InitialDelay}, {"ReuseWindow", c.ReuseWindow}} {
		if d.v < 0 {
			return c, fmt.Errorf("%w %q: %s is negative (%v)", ErrInvalidCheck, c.Name, d.field, d.v)
		}
	}
	if c.InitialDelay > 0 && c.Interval == 0 {
		return c, fmt.Errorf("%w %q: InitialDelay needs Interval > 0", ErrInvalidCheck, c.Name)
	}
	if c.ReuseWindow > 0 && c.Interval > 0 {
		return c, fmt.Errorf("%w %q: ReuseWindow is for synchronous checks: it needs Interval 0", ErrInvalidCheck, c.Name)
	}
	if c.FailureThreshold < 0 {
		return c, fmt.Errorf("%w %q: FailureThreshold must be >= 1, got %d", ErrInvalidCheck, c.Name, c.FailureThreshold)
	}
	if c.SuccessThreshold < 0 {
		return c, fmt.Errorf("%w %q: SuccessThreshold must be >= 1, got %d", ErrInvalidCheck, c.Name, c.SuccessThreshold)
	}
	if err := c.checkOperator(); err != nil {
		return c, err
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.FailureThreshold == 0 {
		c.FailureThreshold = 1
	}
	if c.SuccessThreshold == 0 {
		c.SuccessThreshold = 1
	}
	return c, nil
}

func validName(s string) bool {
	if len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':':
		default:
			return false
		}
	}
	return true
}
