package promhealth

import "github.com/prometheus/client_golang/prometheus"

// descs are the Collector's metric descriptors. Names follow the Prometheus
// naming guide: a probekit_ prefix, base units (_seconds), counters ending
// in _total, and labels whose values come from the registered checks and
// breakers, never from requests.
type descs struct {
	up, duration, runs, consecutive, lastSuccess, checkTransitions *prometheus.Desc
	lifecycle, inflight, abandoned, shutdownPhase                  *prometheus.Desc
	breakerState, breakerTransitions                               *prometheus.Desc
	featureEnabled, featureForced                                  *prometheus.Desc
	checkInfo, checkDrill                                          *prometheus.Desc
}

func newDescs(l prometheus.Labels) descs {
	return descs{
		up: prometheus.NewDesc("probekit_check_up",
			"Status of a health check after its thresholds, one series per probe it belongs to (kind: liveness, readiness, startup): 1 ok, 0.5 degraded (or an optional check failed), 0 failed. Absent until the check has run.",
			[]string{"check", "kind"}, l),
		duration: prometheus.NewDesc("probekit_check_duration_seconds",
			"How long each run of a health check took, up to its timeout.",
			[]string{"check"}, l),
		runs: prometheus.NewDesc("probekit_check_runs_total",
			"Runs of a health check by outcome: success (nil error) or failure (any error, degraded included).",
			[]string{"check", "result"}, l),
		consecutive: prometheus.NewDesc("probekit_check_consecutive_failures",
			"Failed runs of a health check since its last success.",
			[]string{"check"}, l),
		lastSuccess: prometheus.NewDesc("probekit_check_last_success_timestamp_seconds",
			"Unix time of the last successful run of a health check. Absent until it has succeeded.",
			[]string{"check"}, l),
		checkTransitions: prometheus.NewDesc("probekit_check_transitions_total",
			"Changes of a health check's reported status (ok, degraded, unavailable); a fast rise is a flapping check.",
			[]string{"check"}, l),
		lifecycle: prometheus.NewDesc("probekit_lifecycle_state",
			"Lifecycle state of the process: 1 for the current state (starting, ready, draining, stopped), 0 for the others.",
			[]string{"state"}, l),
		inflight: prometheus.NewDesc("probekit_inflight_requests",
			"Requests in progress, as counted by the drain middleware (probes and scrapes excluded).",
			nil, l),
		abandoned: prometheus.NewDesc("probekit_drain_abandoned_total",
			"Requests still in flight when the drain timeout cut the shutdown short.",
			nil, l),
		shutdownPhase: prometheus.NewDesc("probekit_shutdown_phase_duration_seconds",
			"Duration of the phases of the last shutdown: total is from draining to stopped; other phases appear as the registry reports them. Absent until a shutdown has finished a phase.",
			[]string{"phase"}, l),
		breakerState: prometheus.NewDesc("probekit_breaker_state",
			"State of a circuit breaker: 1 for the current state (closed, half-open, open), 0 for the others. Present once the breaker has changed state.",
			[]string{"breaker", "state"}, l),
		breakerTransitions: prometheus.NewDesc("probekit_breaker_transitions_total",
			"State changes of a circuit breaker, by the state entered.",
			[]string{"breaker", "to"}, l),
		featureEnabled: prometheus.NewDesc("probekit_feature_enabled",
			"Whether a feature (core.Feature) is usable now: 1 on, 0 off, because a check it follows failed or an operator forced it off.",
			[]string{"feature"}, l),
		featureForced: prometheus.NewDesc("probekit_feature_forced",
			"Whether an operator has forced a feature on or off for a bounded time: 1 forced, 0 following its checks.",
			[]string{"feature"}, l),
		checkInfo: prometheus.NewDesc("probekit_check_info",
			"Always 1: the owner and runbook URL of a health check (core.Check Owner and Runbook, empty when not set), for alerts to join on: * on(job, instance, check) group_left(owner, runbook) probekit_check_info.",
			[]string{"check", "owner", "runbook"}, l),
		checkDrill: prometheus.NewDesc("probekit_check_drill",
			"Whether an operator is drilling a health check (core.Registry.Drill): 1 while the check reports the drill's status instead of its own, 0 otherwise.",
			[]string{"check"}, l),
	}
}

func (d *descs) describe(ch chan<- *prometheus.Desc) {
	for _, x := range []*prometheus.Desc{
		d.up, d.duration, d.runs, d.consecutive, d.lastSuccess, d.checkTransitions,
		d.lifecycle, d.inflight, d.abandoned, d.shutdownPhase,
		d.breakerState, d.breakerTransitions,
		d.featureEnabled, d.featureForced,
		d.checkInfo, d.checkDrill,
	} {
		ch <- x
	}
}
