package promhealth

import (
	"github.com/probekit/probekit/core"
	"github.com/prometheus/client_golang/prometheus"
)

// collectFeatures sends the state of h's features, read at scrape time
// from the features' atomics (no lock, no check run): one series each of
// probekit_feature_enabled and probekit_feature_forced per feature, whose
// number is bounded by the features the service declares.
func collectFeatures(d *descs, h *core.Registry, ch chan<- prometheus.Metric) {
	for _, f := range h.Features() {
		st := f.State()
		name := labelValue(st.Name)
		ch <- prometheus.MustNewConstMetric(d.featureEnabled, prometheus.GaugeValue, boolValue(st.Enabled), name)
		ch <- prometheus.MustNewConstMetric(d.featureForced, prometheus.GaugeValue, boolValue(st.Forced != nil), name)
	}
}
