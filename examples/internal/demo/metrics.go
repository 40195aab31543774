package demo

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/promhealth"
)

// MetricsPath is where every example serves its Prometheus metrics, on its
// own port.
const MetricsPath = "/metrics"

// metrics is the App's Prometheus exposition: the registry's health series
// (promhealth), the Go runtime's and the process's.
type metrics struct {
	collector *promhealth.Collector
	handler   http.Handler
}

// newMetrics builds a Prometheus registry of its own, not the global
// default one: an App is created more than once in a test binary, and the
// second registration would be an error.
func newMetrics(h *core.Registry) (*metrics, error) {
	c, err := promhealth.New(h, promhealth.Options{})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	for _, col := range []prometheus.Collector{c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(col); err != nil {
			c.Close()
			return nil, fmt.Errorf("demo: metrics: %w", err)
		}
	}
	return &metrics{collector: c, handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}, nil
}

// WithMetrics serves MetricsPath itself and passes every other request to
// next. Wrapping outside the drain middleware keeps scrapes out of the
// in-flight count, as the frameworks that take an http.Handler (net/http,
// chi) do; see [App.Metrics].
func (a *App) WithMetrics(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(MetricsPath, a.Metrics)
	mux.Handle("/", next)
	return mux
}
