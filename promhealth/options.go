package promhealth

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultBuckets are the upper bounds, in seconds, of
// probekit_check_duration_seconds: from 1 ms (a ping on loopback) to 10 s
// (past any sensible check timeout). prometheus.DefBuckets starts at 5 ms,
// where most healthy checks would all land in the first bucket.
var DefaultBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Options configure a Collector. The zero value is ready to use.
type Options struct {
	// ConstLabels are added to every series, for example
	// {"service": "orders"} when one Prometheus job scrapes several
	// services. They must not use the names of the collector's own labels
	// (check, kind, result, state, breaker, to, phase), and their values
	// (like ServiceLabels' values) must be valid UTF-8. Default: none, as
	// Prometheus already adds job and instance to every scraped series.
	ConstLabels prometheus.Labels

	// ServiceLabels adds the registry's Service, Version and Instance
	// (core.Options) as the const labels service, version and instance,
	// each only when not empty. Most deployments leave it off: Prometheus's
	// own job and instance labels already identify the target.
	ServiceLabels bool

	// Buckets are the histogram's upper bounds in seconds, strictly
	// increasing. Default: DefaultBuckets.
	Buckets []float64
}

// reserved are the variable label names of the collector's series.
var reserved = []string{"check", "kind", "result", "state", "breaker", "to", "phase"}

// normalize validates o and returns it with defaults applied; the error
// names the bad field.
func (o Options) normalize(service, version, instance string) (Options, error) {
	labels := prometheus.Labels{}
	for k, v := range o.ConstLabels {
		if !validLabelName(k) {
			return o, fmt.Errorf("promhealth: Options.ConstLabels: %q is not a valid label name", k)
		}
		if slices.Contains(reserved, k) {
			return o, fmt.Errorf("promhealth: Options.ConstLabels: %q is a label of the collector's own series", k)
		}
		if !utf8.ValidString(v) {
			return o, fmt.Errorf("promhealth: Options.ConstLabels: the value of %q is not valid UTF-8", k)
		}
		labels[k] = v
	}
	if o.ServiceLabels {
		for _, kv := range [][2]string{{"service", service}, {"version", version}, {"instance", instance}} {
			if _, dup := labels[kv[0]]; dup {
				return o, fmt.Errorf("promhealth: Options.ConstLabels: %q is also set by ServiceLabels", kv[0])
			}
			if !utf8.ValidString(kv[1]) {
				return o, fmt.Errorf("promhealth: Options.ServiceLabels: core.Options' %s %q is not valid UTF-8", kv[0], kv[1])
			}
			if kv[1] != "" {
				labels[kv[0]] = kv[1]
			}
		}
	}
	o.ConstLabels = labels
	if o.Buckets == nil {
		o.Buckets = DefaultBuckets
	}
	if len(o.Buckets) == 0 {
		return o, fmt.Errorf("promhealth: Options.Buckets: empty")
	}
	for i, b := range o.Buckets {
		if b != b || i > 0 && b <= o.Buckets[i-1] {
			return o, fmt.Errorf("promhealth: Options.Buckets: not strictly increasing at %v", b)
		}
	}
	o.Buckets = slices.Clone(o.Buckets)
	return o, nil
}

// validLabelName reports whether name is a label name every Prometheus
// version and every query accepts without quoting: [a-zA-Z_][a-zA-Z0-9_]*,
// not starting with the reserved "__". (prometheus/common's own check
// accepts any UTF-8 from v0.62 on, which older servers reject.)
func validLabelName(name string) bool {
	if name == "" || strings.HasPrefix(name, "__") {
		return false
	}
	for i, c := range name {
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
