package examples_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// monitoringDir holds the alerting rules and the dashboard (docs/operations.md).
const monitoringDir = "../deploy/monitoring"

// requireTool returns the path of a program of Debian's prometheus package
// (`make test` installs it as root). Without it the test skips with a
// message, except under CI=true, where it fails: CI must prove the rules.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s not found (Debian package prometheus: `apt-get install -y prometheus`, which `make test` does as root): %v", name, err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// promtool runs promtool with args in monitoringDir, stdin from in.
func promtool(t *testing.T, in io.Reader, args ...string) string {
	t.Helper()
	cmd := exec.Command(requireTool(t, "promtool"), args...)
	cmd.Dir = monitoringDir
	cmd.Stdin = in
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ruleGroups is the part of a rules file the tests read.
type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert       string            `json:"alert"`
			Expr        string            `json:"expr"`
			For         string            `json:"for,omitempty"`
			Labels      map[string]string `json:"labels,omitempty"`
			Annotations map[string]string `json:"annotations,omitempty"`
		} `json:"rules"`
	} `json:"groups"`
}

func readYAML(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(monitoringDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// The rules are valid, and their unit tests pass and fire every alert.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	promtool(t, nil, "check", "rules", "rules.yml")
	promtool(t, nil, "test", "rules", "rules_test.yml")

	var rules ruleGroups
	readYAML(t, "rules.yml", &rules)
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	b, err := os.ReadFile(filepath.Join(monitoringDir, "rules_test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &tests); err != nil {
		t.Fatal(err)
	}
	fired := map[string]bool{}
	for _, tt := range tests.Tests {
		for _, a := range tt.AlertRuleTest {
			fired[a.Alertname] = fired[a.Alertname] || len(a.ExpAlerts) > 0
		}
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if !fired[r.Alert] {
				t.Errorf("alert %s: no unit test in rules_test.yml expects it to fire", r.Alert)
			}
		}
	}
	if n < 5 {
		t.Errorf("%d alerts in rules.yml, want at least the five of docs/operations.md", n)
	}
}

// The PrometheusRule holds exactly the groups of rules.yml.
func TestPrometheusRuleMatchesRules(t *testing.T) {
	t.Parallel()
	var plain ruleGroups
	readYAML(t, "rules.yml", &plain)
	var crd struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Metadata   map[string]any `json:"metadata"`
		Spec       ruleGroups     `json:"spec"`
	}
	readYAML(t, "prometheusrule.yaml", &crd)
	if crd.APIVersion != "monitoring.coreos.com/v1" || crd.Kind != "PrometheusRule" {
		t.Errorf("prometheusrule.yaml is a %s %s, want monitoring.coreos.com/v1 PrometheusRule", crd.APIVersion, crd.Kind)
	}
	a, _ := json.Marshal(plain)
	b, _ := json.Marshal(crd.Spec)
	if !bytes.Equal(a, b) {
		t.Errorf("prometheusrule.yaml's spec differs from rules.yml:\n%s\n%s", b, a)
	}
}

// dashboard is the part of dashboard.json the tests read.
type dashboard struct {
	Title  string `json:"title"`
	Panels []struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// dashboardExprs returns every panel's PromQL with Grafana's variables
// replaced by what Grafana would put there, keyed by panel title.
func dashboardExprs(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(monitoringDir, "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	vars := strings.NewReplacer("$__rate_interval", "1m", "$job", ".+", "$instance", ".+")
	out := map[string][]string{}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			out[p.Title] = append(out[p.Title], vars.Replace(tg.Expr))
		}
	}
	for _, want := range []string{"probekit_check_up", "probekit_check_duration_seconds_bucket", "probekit_inflight_requests", "probekit_lifecycle_state", "probekit_breaker_state"} {
		found := false
		for _, exprs := range out {
			for _, e := range exprs {
				found = found || strings.Contains(e, want)
			}
		}
		if !found {
			t.Errorf("no panel of dashboard.json shows %s", want)
		}
	}
	return out
}

// Every panel's query is PromQL that promtool accepts: each becomes a
// recording rule of a rules file that promtool checks.
func TestDashboard(t *testing.T) {
	t.Parallel()
	exprs := dashboardExprs(t)
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	i := 0
	for _, list := range exprs {
		for _, e := range list {
			q, _ := json.Marshal(e) // a JSON string is a YAML string
			fmt.Fprintf(&rules, "      - record: dashboard:panel%d\n        expr: %s\n", i, q)
			i++
		}
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out := promtool(t, nil, "check", "rules", path)
	if !strings.Contains(out, fmt.Sprintf("%d rules found", i)) {
		t.Errorf("promtool check rules: %s, want %d rules", out, i)
	}
}

// metrics checks an example's /metrics: the checks' series with their
// status, and a scrape that does not count itself as in flight.
func (s *service) metrics(t *testing.T) {
	code, body, err := s.get("/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /metrics = %d, %v", code, err)
	}
	for _, want := range []string{
		`probekit_check_up{check="sqlite",kind="readiness"} 1`,
		`probekit_check_up{check="redis",kind="readiness"} 0.5`, // optional and down: degraded
		`probekit_lifecycle_state{state="ready"} 1`,
		"probekit_inflight_requests 0", // the scrape itself is not a request to drain
		`probekit_check_info{check="sqlite",owner="team-shop",runbook="https://github.com/probekit/probekit/blob/main/docs/operations.md#what-each-answer-means"} 1`,
		`probekit_check_drill{check="redis"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /metrics lacks %q", want)
		}
	}
}

// fakeRedis answers every connection with one PONG, as the Redis check
// expects, until stop; stop returns once every connection is closed.
func fakeRedis(t *testing.T) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { // owned by stop: ends when the listener is closed
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				line, err := bufio.NewReader(conn).ReadString('\n')
				if err == nil && strings.HasPrefix(line, "*") {
					_, _ = conn.Write([]byte("+PONG\r\n"))
				}
			})
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { ln.Close(); wg.Wait() }) }
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

// prometheusServer is a real Prometheus (Debian's package) on loopback.
type prometheusServer struct {
	base   string
	client *http.Client
}

// startPrometheus runs prometheus with its own config and storage in a
// temporary directory, scraping target every second, and stops it when
// the test ends.
func startPrometheus(t *testing.T, target string) *prometheusServer {
	t.Helper()
	bin := requireTool(t, "prometheus")
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: demo
    static_configs:
      - targets: [%q]
`, filepath.Join(mustAbs(t, monitoringDir), "rules.yml"), target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	out := &syncBuffer{}
	cmd := exec.Command(bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
	)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }() // owned by the cleanup below
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("prometheus output:\n%s", out.String())
		}
	})
	p := &prometheusServer{base: "http://127.0.0.1:" + strconv.Itoa(port), client: &http.Client{Timeout: 10 * time.Second}}
	waitFor(t, "prometheus ready", func() (bool, string) {
		resp, err := p.client.Get(p.base + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	}, exited)
	return p
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// sample is one series of an instant query's answer.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s sample) value() string { v, _ := s.Value[1].(string); return v }

// query runs an instant query through /api/v1/query; an error is a query
// Prometheus refused (its message) or a failed request.
func (p *prometheusServer) query(q string) ([]sample, error) {
	resp, err := p.client.Get(p.base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var answer struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return nil, fmt.Errorf("%s: %w", resp.Status, err)
	}
	if answer.Status != "success" {
		return nil, fmt.Errorf("%s: %s", resp.Status, answer.Error)
	}
	var vec []sample
	if err := json.Unmarshal(answer.Data.Result, &vec); err != nil {
		// A scalar or a string answer: accepted, with no series.
		return nil, nil
	}
	return vec, nil
}

// waitFor polls cond until it holds, failing after a generous deadline or
// once exited is closed; last describes the latest attempt.
func waitFor(t *testing.T, what string, cond func() (ok bool, last string), exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ok, last := cond()
		if ok {
			return
		}
		select {
		case <-exited:
			t.Fatalf("%s: the process exited; last: %s", what, last)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: gave up after 90s; last: %s", what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestPrometheus runs the net/http demo and a real Prometheus scraping it
// on loopback: promtool accepts a real scrape, Prometheus stores the check
// series and sees the Redis check flip once its server goes away, and every
// dashboard query runs against the stored series.
func TestPrometheus(t *testing.T) {
	requireTool(t, "prometheus")
	requireTool(t, "promtool")
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir, "./nethttp")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./nethttp: %v\n%s", err, out)
	}
	redisAddr, stopRedis := fakeRedis(t)
	s := startService(t, filepath.Join(dir, "nethttp"), "REDIS_ADDR="+redisAddr)
	s.startup(t)
	redisUp := func() (bool, string) {
		code, body, err := s.get("/readyz?verbose")
		return err == nil && code == http.StatusOK && strings.Contains(body, "[+]redis ok"), body
	}
	waitFor(t, "redis check ok", redisUp, s.exited)

	// promtool's linter on a real scrape.
	_, body, err := s.get("/metrics")
	if err != nil {
		t.Fatal(err)
	}
	promtool(t, strings.NewReader(body), "check", "metrics")

	p := startPrometheus(t, strings.TrimPrefix(s.base, "http://"))
	seriesValue := func(q string, want string) func() (bool, string) {
		return func() (bool, string) {
			vec, err := p.query(q)
			if err != nil {
				return false, err.Error()
			}
			if len(vec) != 1 {
				return false, fmt.Sprintf("%d series: %v", len(vec), vec)
			}
			return vec[0].value() == want, vec[0].value()
		}
	}
	waitFor(t, "two scrapes", seriesValue(`count_over_time(up{job="demo"}[5m]) >= 2`, "2"), nil)
	waitFor(t, "the redis check ok in Prometheus", seriesValue(`probekit_check_up{job="demo",check="redis",kind="readiness"}`, "1"), nil)
	waitFor(t, "sqlite ok in Prometheus", seriesValue(`probekit_check_up{job="demo",check="sqlite"}`, "1"), nil)

	stopRedis() // the dependency fails: the optional check degrades the service
	waitFor(t, "the redis check degraded in Prometheus", seriesValue(`probekit_check_up{job="demo",check="redis",kind="readiness"}`, "0.5"), nil)
	// The check alerts' join (rules.yml): the owner and runbook the demo
	// gives its checks reach the check's series.
	waitFor(t, "owner and runbook joined from probekit_check_info", func() (bool, string) {
		vec, err := p.query(`probekit_check_up{job="demo",check="redis",kind="readiness"} * on(job, instance, check) group_left(owner, runbook) probekit_check_info`)
		if err != nil {
			return false, err.Error()
		}
		return len(vec) == 1 && vec[0].Metric["owner"] == "team-shop" &&
			vec[0].Metric["runbook"] == "https://github.com/probekit/probekit/blob/main/docs/operations.md#degrade-instead-of-failing", fmt.Sprint(vec)
	}, nil)
	waitFor(t, "a failed run counted", func() (bool, string) {
		vec, err := p.query(`probekit_check_runs_total{job="demo",check="redis",result="failure"} > 0`)
		return err == nil && len(vec) == 1, fmt.Sprint(vec, err)
	}, nil)

	// Every dashboard query is accepted by the real server; the check
	// panels have data by now.
	for title, exprs := range dashboardExprs(t) {
		for _, e := range exprs {
			vec, err := p.query(e)
			if err != nil {
				t.Errorf("panel %q: query %s: %v", title, e, err)
				continue
			}
			if slices.Contains([]string{"Check status", "In-flight requests", "Lifecycle"}, title) && len(vec) == 0 {
				t.Errorf("panel %q: query %s: no series", title, e)
			}
		}
	}
	// The rules loaded beside them are healthy (they evaluate without error).
	resp, err := p.client.Get(p.base + "/api/v1/rules")
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(rb), `"ProbekitCheckFailing"`) || strings.Contains(string(rb), `"health":"err"`) {
		t.Errorf("/api/v1/rules: want every rule loaded and healthy:\n%s", rb)
	}
}
