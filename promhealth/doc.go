// Package promhealth exports a probekit registry's health as Prometheus
// metrics.
//
//	h, _ := core.New(core.Options{Service: "orders"})
//	// ... h.Register(checks), h.Start(ctx) ...
//	c, err := promhealth.New(h, promhealth.Options{})
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//	if err := prometheus.Register(c); err != nil { // twice: an error, never a panic
//		return err
//	}
//	mux.Handle("/metrics", promhttp.Handler())
//
// The Collector is one of the registry's observers: every check result and
// every transition updates what it holds, and a scrape only reads that, the
// lifecycle state and the in-flight count. A scrape never runs a check, so
// scraping often costs the dependencies nothing and a slow dependency
// never slows a scrape.
//
// # Series
//
// Per check (label check; bounded by the registered checks: a transition
// of Component "check" sent through Notify for any other name is ignored):
//
//	probekit_check_up{check,kind}                   1 ok, 0.5 degraded, 0 failed, per probe kind
//	                                                (an optional check that fails is 0.5: it degrades its probes)
//	probekit_check_duration_seconds{check}          histogram of run durations (DefaultBuckets)
//	probekit_check_runs_total{check,result}         runs by result: success, failure
//	probekit_check_consecutive_failures{check}      failed runs since the last success
//	probekit_check_last_success_timestamp_seconds{check}
//	probekit_check_transitions_total{check}         status changes (flapping shows here)
//
// Per process:
//
//	probekit_lifecycle_state{state}                 1 for the current state of starting, ready, draining, stopped
//	probekit_inflight_requests                      the drain middleware's count
//	probekit_drain_abandoned_total                  requests abandoned at the drain timeout
//	probekit_shutdown_phase_duration_seconds{phase} the last shutdown; phase "total" is draining to stopped
//
// Per circuit breaker (package breaker with Settings{Notify: h.Notify};
// bounded by the breakers, at most 1000; a name that is not valid UTF-8
// has U+FFFD in its place, so that no name from Notify can fail a scrape):
//
//	probekit_breaker_state{breaker,state}           1 for the current state of closed, half-open, open
//	probekit_breaker_transitions_total{breaker,to}
//
// Per feature (core.Feature; read at scrape time, one series each per
// declared feature):
//
//	probekit_feature_enabled{feature}               1 on, 0 off (a followed check failed, or forced off)
//	probekit_feature_forced{feature}                1 while an operator forces it on or off
//
// Enumerations (lifecycle, breaker state) are one series per state with
// value 1 for the current one, the Prometheus convention for a state set,
// so that `probekit_breaker_state{state="open"} == 1` selects open breakers.
//
// probekit_shutdown_phase_duration_seconds{phase="total"} is the time
// between the lifecycle transitions to draining and to stopped. The other
// phases ("propagation", "drain", "hooks") and probekit_drain_abandoned_total
// follow the registry's transitions of Component "shutdown" (see
// core.Transition): each step's end, and a drain that abandoned requests,
// whose count is read from its *core.DrainTimeoutError.
//
// # Dependencies
//
// github.com/prometheus/client_golang is the Prometheus client every Go
// exporter uses; a Collector of it plugs into any registry and handler the
// service already has. github.com/prometheus/client_model is its data model,
// used to build each check's label pairs once instead of on every scrape.
// The module requires client_golang v1.12.1: the version this repository's
// module cache held when the module was written, which has everything used
// here. A library's requirement is a minimum, so an older one constrains its
// users least; Go's minimal version selection gives them whichever newer
// version their other dependencies need. The tests pass with v1.12.1 alone
// and with v1.25.0 (the examples' version, which the workspace selects).
// The examples require v1.25.0 because v1.12.1's Go runtime collector names
// histograms with a _total suffix, which `promtool check metrics` rejects;
// promhealth does not use that collector.
package promhealth
