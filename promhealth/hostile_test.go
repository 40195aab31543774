package promhealth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Names that reach h.Notify are the caller's: a breaker named from a URL or
// from bytes, a buggy notifier. None of them may make a scrape panic (a
// panic in Collect runs on the gathering goroutine and ends the process) or
// fail (one bad label value turns the whole /metrics into a 500).
func TestHostileTransitionNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		tr   []core.Transition
	}{
		{"breaker invalid UTF-8", []core.Transition{{Component: "breaker", Name: "pg\xff\xfe", From: "closed", To: "open"}}},
		{"shutdown phase invalid UTF-8", []core.Transition{
			{Component: "lifecycle", Name: "svc", From: "ready", To: "draining", Time: time.Unix(100, 0)},
			{Component: "shutdown", Name: "drain\xc3", From: "running", To: "done", Time: time.Unix(101, 0)},
		}},
		{"check transition invalid UTF-8", []core.Transition{{Component: "check", Name: "db\xff", From: "ok", To: "unavailable"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newRegistry(t, core.Options{})
			c := newCollector(t, h, Options{})
			reg := prometheus.NewPedanticRegistry()
			if err := reg.Register(c); err != nil {
				t.Fatal(err)
			}
			for _, tr := range tc.tr {
				h.Notify(tr)
			}
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("Collect panicked: %v", v)
					}
				}()
				// Collect directly: inside Gather the panic would end the test binary.
				ch := make(chan prometheus.Metric, 100)
				c.Collect(ch)
				close(ch)
			}()
			rec := httptest.NewRecorder()
			promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
			}
		})
	}
}

// A transition of Component "check" comes through Notify too: only the
// registered checks may have series, so a name no check has adds none
// (cardinality is bounded by registration, as the package promises).
func TestCheckTransitionOfUnknownNameAddsNoSeries(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{})
	c := newCollector(t, h, Options{})
	for i := range 50 {
		h.Notify(core.Transition{Component: "check", Name: "tenant-" + strings.Repeat("x", i), From: "ok", To: "unavailable"})
	}
	if n := testutil.CollectAndCount(c, "probekit_check_transitions_total", "probekit_check_runs_total"); n != 0 {
		t.Fatalf("%d check series for names no check has, want 0", n)
	}
}

// Whatever a transition holds, a scrape neither panics nor fails: the
// gathered families pass client_golang's own consistency checks.
func FuzzTransitionNames(f *testing.F) {
	f.Add("breaker", "pg", "open")
	f.Add("breaker", "pg\xff", "half-open")
	f.Add("shutdown", "drain\xc3", "done")
	f.Add("check", "db\x00", "unavailable")
	f.Add("shutdown", "drain", "abandoned")
	f.Fuzz(func(t *testing.T, component, name, to string) {
		h := newRegistry(t, core.Options{})
		c := newCollector(t, h, Options{})
		reg := prometheus.NewPedanticRegistry()
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
		h.Notify(core.Transition{Component: "lifecycle", From: "ready", To: "draining"})
		h.Notify(core.Transition{Component: component, Name: name, From: "x", To: to})
		ch := make(chan prometheus.Metric, 1000)
		c.Collect(ch) // directly: a panic inside Gather would end the process
		close(ch)
		if _, err := reg.Gather(); err != nil {
			t.Fatal(err)
		}
	})
}

// ServiceLabels take their values from core.Options: one that is not valid
// UTF-8 is an error from New, where the bad option is named, not from
// Register or every scrape.
func TestServiceLabelNotUTF8(t *testing.T) {
	t.Parallel()
	h := newRegistry(t, core.Options{Service: "orders", Version: "1.\xff"})
	if c, err := New(h, Options{ServiceLabels: true}); err == nil || !strings.Contains(err.Error(), "ServiceLabels") {
		if c != nil {
			c.Close()
		}
		t.Fatalf("New = %v, want an error naming ServiceLabels", err)
	}
}
