// A consumer of promhealth alone: a check's status as a Prometheus series
// beside the readiness probe.
package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/promhealth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	h, err := core.New(core.Options{Service: "consumer"})
	if err != nil {
		fail(err)
	}
	if err := h.Register(core.Check{Name: "consumer", Check: func(context.Context) error { return nil }}); err != nil {
		fail(err)
	}
	c, err := promhealth.New(h, promhealth.Options{})
	if err != nil {
		fail(err)
	}
	defer c.Close()
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		fail(err)
	}
	if err := h.Start(context.Background()); err != nil {
		fail(err)
	}
	defer h.Close()
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz?verbose", nil))
	metrics := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(metrics, httptest.NewRequest("GET", "/metrics", nil))
	if want := `probekit_check_up{check="consumer",kind="readiness"} 1`; !strings.Contains(metrics.Body.String(), want) {
		fail(fmt.Errorf("/metrics lacks %s:\n%s", want, metrics.Body))
	}
	fmt.Printf("%d\n%s", rec.Code, rec.Body)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
