package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Report is the outcome of evaluating one probe kind.
type Report struct {
	// Kind is the probe that was evaluated.
	Kind Kind
	// Status aggregates the checks: unavailable if any critical check is
	// unavailable, else degraded if any check is not ok, else ok.
	Status Status
	// Message explains a non-ok status: "starting" (or, for an evaluation
	// that excluded a startup check, "starting: only a probe without exclude
	// can end startup"), "shutting down", or the names of the failing checks.
	Message string
	// Time is when the report was made. A report served from the
	// pre-rendered fast path carries the time of the last change.
	Time time.Time
	// Checks holds one result per evaluated check, sorted by name.
	Checks []Result
	// Features holds the state of every feature (see [Registry.Feature]),
	// sorted by name, in readiness reports of the whole kind; nil in
	// others and when there is none.
	Features []FeatureState
}

// ErrUnknownCheck is wrapped by errors about a check name that is not
// registered for the probe kind in question.
var ErrUnknownCheck = errors.New("unknown check")

// Evaluate runs the checks of one kind (concurrently, each within its own
// timeout; background checks contribute their latest result) and returns
// the aggregate report. Checks named in exclude are skipped; a name that is
// not a check of that kind is an error wrapping ErrUnknownCheck.
//
// Readiness during shutdown is unavailable with the message "shutting down",
// without running checks. Readiness and startup while starting are
// unavailable with the message "starting" until every startup check passes.
//
// Only a complete evaluation moves the lifecycle: an evaluation that
// excludes a startup check never ends Starting. While starting, such an
// evaluation reports the startup checks it ran; if they all pass it is
// still unavailable, with the message "starting: only a probe without
// exclude can end startup", because the excluded checks decide too.
func (r *Registry) Evaluate(ctx context.Context, kind Kind, exclude ...string) (Report, error) {
	if kind != Liveness && kind != Readiness && kind != Startup {
		return Report{}, fmt.Errorf("core: evaluate: kind must be one of Liveness, Readiness, Startup, got %v", kind)
	}
	for _, name := range exclude {
		if s := r.lookup(name); s == nil || s.check.Kinds&kind == 0 {
			return Report{}, fmt.Errorf("core: exclude %q: %w for %s", name, ErrUnknownCheck, kind)
		}
	}
	return r.evaluate(ctx, kind, excludeSet(slices.Clone(exclude))), nil
}

// startingExcluded is the message of a startup or readiness report made
// while starting whose startup checks passed only because some were
// excluded: a filtered probe never ends Starting, so it cannot claim the
// service started.
const startingExcluded = "starting: only a probe without exclude can end startup"

// evaluate makes the report of kind; exclude is sorted and free of
// duplicates (see excludeSet). Readiness reports carry the features.
func (r *Registry) evaluate(ctx context.Context, kind Kind, exclude []string) Report {
	rep := r.evaluateChecks(ctx, kind, exclude)
	if kind == Readiness {
		rep.Features = r.featureStates()
	}
	return rep
}

// evaluateChecks makes the report of kind without its features.
func (r *Registry) evaluateChecks(ctx context.Context, kind Kind, exclude []string) Report {
	if kind == Readiness && r.State() >= StateDraining {
		return r.shuttingDown(kind)
	}
	var rep Report
	if r.State() == StateStarting && kind != Liveness {
		// When the startup gate waits on a call, the readiness checks run
		// alongside it, so a probe while starting takes one timeout, not
		// two; when the gate answers at once (no startup check, or only
		// background ones), readiness checks run only once it has passed.
		gate := r.startChecks(ctx, Startup, exclude)
		var own pending
		early := kind == Readiness && gate.calling()
		if early {
			own = r.startChecks(ctx, kind, exclude)
		}
		startup := r.aggregate(Startup, gate.wait(ctx))
		if startup.Status == StatusUnavailable {
			startup.Kind, startup.Message = kind, "starting"
			return startup // readiness calls started early go on and record their results
		}
		if gate.skipped > 0 {
			// The gate passed without some of its checks: that says
			// nothing about the service having started, and a request's
			// parameters never move the lifecycle (DESIGN rule 2).
			startup.Kind, startup.Status, startup.Message = kind, StatusUnavailable, startingExcluded
			return startup
		}
		r.transition(StateStarting, StateReady, "startup checks passed")
		if kind == Startup {
			return startup
		}
		if !early {
			// The gate answered without a call: becoming ready comes first,
			// then the readiness checks, in the logs as in time.
			own = r.startChecks(ctx, kind, exclude)
		}
		rep = r.aggregate(kind, own.wait(ctx))
	} else {
		rep = r.aggregate(kind, r.startChecks(ctx, kind, exclude).wait(ctx))
	}
	if kind == Readiness && r.State() >= StateDraining {
		// Shutdown began while the checks ran: from its first moment,
		// readiness fails.
		return r.shuttingDown(kind)
	}
	return rep
}

func (r *Registry) shuttingDown(kind Kind) Report {
	return Report{Kind: kind, Status: StatusUnavailable, Message: "shutting down", Time: r.now()}
}

// pending is a set of check evaluations that have been started.
type pending struct {
	states  []*checkState
	runs    []*run
	results []Result
	skipped int // checks of the kind left out by exclude
}

// startChecks starts every synchronous check of kind (except those in
// exclude, sorted) and reads the background ones, without waiting for
// anything.
func (r *Registry) startChecks(ctx context.Context, kind Kind, exclude []string) pending {
	all := r.snapshotChecks()
	p := pending{states: make([]*checkState, 0, len(all))}
	for _, s := range all {
		switch {
		case s.check.Kinds&kind == 0:
		case isExcluded(exclude, s.check.Name):
			p.skipped++
		default:
			p.states = append(p.states, s)
		}
	}
	p.results = make([]Result, len(p.states))
	p.runs = make([]*run, len(p.states))
	for i, s := range p.states {
		if s.check.Interval > 0 {
			p.results[i] = s.last()
			r.explainUnrun(s, &p.results[i])
			continue
		}
		p.runs[i], p.results[i] = s.begin(ctx, false)
	}
	return p
}

// calling reports whether any check of p is running a call to wait for.
func (p pending) calling() bool {
	for _, rn := range p.runs {
		if rn != nil {
			return true
		}
	}
	return false
}

// wait waits for every started run, each until its own deadline: the checks
// run concurrently, so this takes as long as the slowest, not the sum.
func (p pending) wait(ctx context.Context) []Result {
	for i, rn := range p.runs {
		if rn != nil {
			p.results[i] = p.states[i].wait(ctx, rn)
		}
	}
	return p.results
}

// excludeSet sorts names and drops duplicates, in place, so that
// isExcluded is a binary search: a long exclude list costs
// O(checks × log excludes), not O(checks × excludes).
func excludeSet(names []string) []string {
	if len(names) < 2 {
		return names
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// isExcluded reports whether name is in exclude, a list from excludeSet.
func isExcluded(exclude []string, name string) bool {
	if len(exclude) == 0 {
		return false
	}
	_, found := slices.BinarySearch(exclude, name)
	return found
}

// notStarted is the message of a background check that has never run
// because Registry.Start was not called: without it, readiness would stay
// unavailable with "not run yet" and nothing saying why.
const notStarted = "not run yet: Registry.Start not called"

// explainUnrun gives a result of background check s that has never run the
// message notStarted when Start has not been called, and logs a warning the
// first time.
func (r *Registry) explainUnrun(s *checkState, res *Result) {
	if s.check.Interval == 0 || !res.Time.IsZero() || res.Status == StatusOK || r.started() {
		return
	}
	res.Message = notStarted
	if r.warnedNotStarted.CompareAndSwap(false, true) {
		r.opts.Logger.Warn("probekit: background checks have not run: Registry.Start was not called", "check", s.check.Name)
	}
}

// started reports whether Start has been called.
func (r *Registry) started() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.bgCtx != nil
}

// aggregate computes the report's status and message from its results.
func (r *Registry) aggregate(kind Kind, results []Result) Report {
	rep := Report{Kind: kind, Status: StatusOK, Time: r.now(), Checks: results}
	r.overlayDrills(results)
	var failed, degraded []string
	for i := range results {
		res := &results[i]
		assumeAlive(kind, res)
		switch {
		case res.Status == StatusOK:
		case res.Critical && res.Status == StatusUnavailable:
			failed = append(failed, res.Name)
		default:
			degraded = append(degraded, res.Name)
		}
	}
	switch {
	case len(failed) > 0:
		rep.Status = StatusUnavailable
		rep.Message = "failed: " + strings.Join(failed, ", ")
		if len(degraded) > 0 {
			rep.Message += "; degraded: " + strings.Join(degraded, ", ")
		}
	case len(degraded) > 0:
		rep.Status = StatusDegraded
		rep.Message = "degraded: " + strings.Join(degraded, ", ")
	}
	return rep
}

// assumeAlive reports a check that has not run yet as ok for liveness. Like
// the kubelet, liveness assumes success until a check has run: a background
// check in its InitialDelay must not get the container restarted.
func assumeAlive(kind Kind, res *Result) {
	if kind == Liveness && res.Time.IsZero() && res.Status != StatusOK && res.Drill == nil {
		res.Status = StatusOK
	}
}

// meta is what every rendered report says about the service.
type meta struct {
	service, version, instance string
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// appendJSON renders rep in probekit's JSON format.
func appendJSON(b []byte, rep *Report, m meta) []byte {
	b = append(b, `{"status":`...)
	b = appendString(b, rep.Status.String())
	b = append(b, `,"message":`...)
	b = appendString(b, rep.Message)
	b = append(b, `,"timestamp":`...)
	b = appendTime(b, rep.Time)
	b = append(b, `,"service":`...)
	b = appendString(b, m.service)
	b = append(b, `,"version":`...)
	b = appendString(b, m.version)
	b = append(b, `,"instance":`...)
	b = appendString(b, m.instance)
	b = append(b, `,"checks":{`...)
	for i := range rep.Checks {
		c := &rep.Checks[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, c.Name)
		b = append(b, `:{"status":`...)
		b = appendString(b, c.Status.String())
		b = append(b, `,"message":`...)
		b = appendString(b, c.Message)
		b = append(b, `,"duration_ms":`...)
		b = appendMillis(b, c.Duration)
		b = append(b, `,"last_success":`...)
		b = appendTime(b, c.LastSuccess)
		b = append(b, `,"consecutive_failures":`...)
		b = strconv.AppendInt(b, int64(c.ConsecutiveFailures), 10)
		b = append(b, `,"critical":`...)
		b = strconv.AppendBool(b, c.Critical)
		b = appendCheckExtrasJSON(b, c)
		b = append(b, '}')
	}
	b = append(b, '}')
	b = appendFeaturesJSON(b, rep.Features)
	return append(b, "}\n"...)
}

// appendHealthJSON renders rep in the IETF draft "Health Check Response
// Format for HTTP APIs" (application/health+json): status pass/warn/fail and
// checks keyed "{componentName}:{measurementName}", here "name:responseTime".
func appendHealthJSON(b []byte, rep *Report, m meta) []byte {
	b = append(b, `{"status":`...)
	b = appendString(b, rep.Status.healthJSON())
	if m.version != "" {
		b = append(b, `,"version":`...)
		b = appendString(b, m.version)
	}
	if m.service != "" {
		b = append(b, `,"serviceId":`...)
		b = appendString(b, m.service)
	}
	if m.instance != "" {
		b = append(b, `,"description":`...)
		b = appendString(b, m.service+" on "+m.instance)
	}
	if rep.Message != "" {
		b = append(b, `,"output":`...)
		b = appendString(b, rep.Message)
	}
	b = append(b, `,"checks":{`...)
	for i := range rep.Checks {
		c := &rep.Checks[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, c.Name+":responseTime")
		b = append(b, `:[{"componentId":`...)
		b = appendString(b, c.Name)
		b = append(b, `,"observedValue":`...)
		b = appendMillis(b, c.Duration)
		b = append(b, `,"observedUnit":"ms","status":`...)
		b = appendString(b, c.Status.healthJSON())
		b = append(b, `,"time":`...)
		b = appendTime(b, c.Time)
		if c.Message != "" {
			b = append(b, `,"output":`...)
			b = appendString(b, c.Message)
		}
		b = appendCheckExtrasHealthJSON(b, c)
		b = append(b, "}]"...)
	}
	b = appendFeaturesHealthJSON(b, rep.Features, len(rep.Checks) > 0)
	return append(b, "}}\n"...)
}

// appendVerbose renders rep in the Kubernetes apiserver's ?verbose text
// form: "[+]name ok", "[-]name failed: reason" (or "degraded: reason"), and
// "[+]name excluded: ok" for each check in excluded, in name order, then
// "{name} check passed" or "failed". A failure no check line explains
// (shutting down, starting) gets a line of its own. Messages are escaped
// for a terminal (see appendText); check names need no escaping.
func appendVerbose(b []byte, rep *Report, excluded []string, name string, passed bool) []byte {
	if rep.Message == "shutting down" && len(rep.Checks) == 0 {
		b = append(b, "[-]shutdown failed: shutting down\n"...)
	}
	explained := passed
	for i := range rep.Checks {
		c := &rep.Checks[i]
		for len(excluded) > 0 && excluded[0] < c.Name {
			b = appendExcluded(b, excluded[0])
			excluded = excluded[1:]
		}
		if c.Status == StatusOK {
			b = append(b, "[+]"...)
			b = append(b, c.Name...)
			b = append(b, " ok\n"...)
			continue
		}
		explained = true
		b = append(b, "[-]"...)
		b = append(b, c.Name...)
		if c.Status == StatusDegraded || !c.Critical {
			b = append(b, " degraded: "...)
		} else {
			b = append(b, " failed: "...)
		}
		msg := c.Message
		if msg == "" || msg == "failed" {
			msg = "reason withheld"
		}
		b = appendText(b, msg)
		b = appendCheckExtrasText(b, c)
		b = append(b, '\n')
	}
	for _, x := range excluded {
		b = appendExcluded(b, x)
	}
	if !explained && rep.Message == startingExcluded {
		b = append(b, "[-]startup failed: "+startingExcluded+"\n"...)
	}
	b = append(b, name...)
	if passed {
		return append(b, " check passed\n"...)
	}
	return append(b, " check failed\n"...)
}

func appendExcluded(b []byte, name string) []byte {
	b = append(b, "[+]"...)
	b = append(b, name...)
	return append(b, " excluded: ok\n"...)
}

// appendText appends s for a plain-text line that may reach a terminal:
// line breaks and tabs become spaces (one check is one line); other C0
// controls, DEL, C1 controls, the line and paragraph separators and the
// bidirectional overrides become \u00XX-style escapes, as in the JSON
// forms; each invalid UTF-8 byte becomes U+FFFD. The output is valid UTF-8
// that no terminal interprets.
func appendText(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n' || c == '\r' || c == '\t':
				b = append(b, ' ')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = utf8.AppendRune(b, utf8.RuneError)
		case r < 0xa0, r == '\u2028', r == '\u2029', 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069:
			b = append(b, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, timeLayout)
	return append(b, '"')
}

func appendMillis(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d.Microseconds())/1000, 'f', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, and
// <, > and & are escaped as encoding/json does, so the output is safe to
// embed in HTML. DEL, the C1 controls (U+009B is CSI, which terminals obey
// in UTF-8) and the bidirectional overrides are escaped as well, as in the
// verbose form: `curl /readyz` prints this on a terminal.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r < 0xa0, r == '\u2028', r == '\u2029', 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069:
			b = append(b, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
