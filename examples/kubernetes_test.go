package examples_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/examples/grpc/orders"
	"github.com/probekit/probekit/examples/internal/demo"
)

const (
	manifestDir = "../deploy/kubernetes"
	dockerfile  = "../deploy/Dockerfile"
	// containerTmp is os.TempDir() in the container: the image sets no
	// TMPDIR.
	containerTmp = "/tmp"
	// distrolessNonroot is the uid of the "nonroot" user of the distroless
	// images.
	distrolessNonroot = 65532
)

// manifests is every object in deploy/kubernetes, strictly decoded.
type manifests struct {
	deployment *appsv1.Deployment
	service    *corev1.Service
	pdb        *policyv1.PodDisruptionBudget
	files      []string // the *.yaml files holding Kubernetes objects
	resources  []string // kustomization.yaml's resources
	// grpc is set for the grpc example's variant (deploy/kubernetes-grpc),
	// whose container also reads GRPC_PORT and may probe over gRPC.
	grpc bool
	name string // "base" or "grpc", for subtests
}

// kustomization is the part of kustomize's Kustomization the directory uses.
// It is not a Kubernetes API type; it is decoded as strictly as the others.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

// loadManifests reads every YAML document under deploy/kubernetes into its
// real Kubernetes API type with sigs.k8s.io/yaml's strict mode: an unknown or
// misspelt field, a duplicate key or a wrong type is an error, as it would
// be for the API server.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests in %s (%v)", manifestDir, err)
	}
	m := manifests{name: "base"}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(p)
		if base == "kustomization.yaml" {
			var k kustomization
			if err := yaml.UnmarshalStrict(data, &k); err != nil {
				t.Fatalf("%s: %v", base, err)
			}
			if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
				t.Fatalf("%s: apiVersion/kind = %s/%s", base, k.APIVersion, k.Kind)
			}
			m.resources = k.Resources
			continue
		}
		m.files = append(m.files, base)
		for i, doc := range splitDocuments(data) {
			where := fmt.Sprintf("%s, document %d", base, i+1)
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			var obj any
			switch gvk := meta.APIVersion + "/" + meta.Kind; gvk {
			case "apps/v1/Deployment":
				m.deployment = decodeOnce(t, where, m.deployment)
				obj = m.deployment
			case "v1/Service":
				m.service = decodeOnce(t, where, m.service)
				obj = m.service
			case "policy/v1/PodDisruptionBudget":
				m.pdb = decodeOnce(t, where, m.pdb)
				obj = m.pdb
			default:
				t.Fatalf("%s: unexpected %s: teach this test its type and invariants", where, gvk)
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Fatalf("%s: strict decode: %v", where, err)
			}
		}
	}
	if m.deployment == nil || m.service == nil || m.pdb == nil {
		t.Fatalf("want a Deployment, a Service and a PodDisruptionBudget, got %+v", m)
	}
	return m
}

// decodeOnce returns a new object to decode into, failing if one of the
// same kind was already decoded: the invariants assume one of each.
func decodeOnce[T any](t *testing.T, where string, prev *T) *T {
	t.Helper()
	if prev != nil {
		t.Fatalf("%s: a second %T", where, prev)
	}
	return new(T)
}

// splitDocuments splits a YAML stream at its "---" lines, dropping empty
// documents (comments only).
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if hasContent(cur.Bytes()) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if strings.TrimRight(sc.Text(), " ") == "---" {
			flush()
			continue
		}
		cur.Write(sc.Bytes())
		cur.WriteByte('\n')
	}
	flush()
	return docs
}

func hasContent(doc []byte) bool {
	for line := range strings.Lines(string(doc)) {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return true
		}
	}
	return false
}

// app returns the Deployment's only container and the configuration the
// example parses from its environment, with the example's own parser.
func (m manifests) app(t *testing.T) (corev1.Container, demo.Config) {
	t.Helper()
	cs := m.deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("want one container, got %d", len(cs))
	}
	c := cs[0]
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Fatalf("env %s: valueFrom cannot be checked here; use value", e.Name)
		}
		if !slices.Contains(demo.EnvVars(), e.Name) && !(m.grpc && e.Name == orders.PortEnv) {
			t.Errorf("env %s: the example does not read it (it reads %v)", e.Name, demo.EnvVars())
		}
		env[e.Name] = e.Value
	}
	cfg, err := demo.ParseConfig("manifest", nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the example rejects the manifest's environment: %v", err)
	}
	return c, cfg
}

// probes returns the container's probes by the core kind they must call.
func probes(c corev1.Container) map[core.Kind]*corev1.Probe {
	return map[core.Kind]*corev1.Probe{
		core.Liveness:  c.LivenessProbe,
		core.Readiness: c.ReadinessProbe,
		core.Startup:   c.StartupProbe,
	}
}

// resolvePort returns the container port a probe or Service port refers to,
// by name or by number, or 0.
func resolvePort(c corev1.Container, p intstr.IntOrString) int32 {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp.ContainerPort
		}
	}
	return 0
}

func seconds(n int32) time.Duration { return time.Duration(n) * time.Second }

func TestManifestProbes(t *testing.T) {
	t.Parallel()
	for _, m := range variants(t) {
		t.Run(m.name, func(t *testing.T) { manifestProbes(t, m) })
	}
}

func manifestProbes(t *testing.T, m manifests) {
	c, cfg := m.app(t)
	grpcPort := m.grpcPort(t)

	// The store is only needed to build the checks; its migrations may be
	// cut short by Close.
	st, err := demo.OpenStore(0, func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checks, err := demo.Checks(st, cfg)
	if err != nil {
		t.Fatal(err)
	}

	kindOfPath := map[string]core.Kind{}
	for _, e := range core.Endpoints() {
		kindOfPath[e.Path] = e.Kind
	}
	for kind, p := range probes(c) {
		t.Run(kind.String(), func(t *testing.T) {
			if p == nil {
				t.Fatal("probe missing")
			}
			switch {
			case p.HTTPGet != nil:
				switch got, ok := kindOfPath[p.HTTPGet.Path]; {
				case !ok:
					t.Errorf("path %q: the example serves no probe there", p.HTTPGet.Path)
				case got != kind:
					t.Errorf("path %q: the example answers %v there, want %v", p.HTTPGet.Path, got, kind)
				}
				if port := resolvePort(c, p.HTTPGet.Port); port == 0 || int(port) != cfg.Port {
					t.Errorf("port %s resolves to container port %d, the example listens on %d", p.HTTPGet.Port.String(), port, cfg.Port)
				}
				if p.HTTPGet.Scheme != "" && p.HTTPGet.Scheme != corev1.URISchemeHTTP {
					t.Errorf("scheme %s, the example serves plain HTTP", p.HTTPGet.Scheme)
				}
			case p.GRPC != nil && m.grpc:
				service := ""
				if p.GRPC.Service != nil {
					service = *p.GRPC.Service
				}
				switch got, ok := grpcHealthServices[service]; {
				case !ok:
					t.Errorf("gRPC service %q: grpchealth answers no probe for it", service)
				case got != kind:
					t.Errorf("gRPC service %q: grpchealth answers %v for it, want %v", service, got, kind)
				}
				if port := resolvePort(c, intstr.FromInt32(p.GRPC.Port)); port == 0 || int(port) != grpcPort {
					t.Errorf("gRPC port %d is container port %d, the example serves gRPC on %d", p.GRPC.Port, port, grpcPort)
				}
			default:
				t.Fatal("want an httpGet probe (or, for the grpc example, a grpc one): the example serves those")
			}
			// A probe must outlast every check it may wait for, or the
			// kubelet gives up before the check can report.
			var longest time.Duration
			var name string
			for _, ch := range checks {
				waits := ch.Kinds&kind != 0 || (kind != core.Liveness && ch.Kinds&core.Startup != 0)
				if waits && ch.Timeout > longest {
					longest, name = ch.Timeout, ch.Name
				}
			}
			if timeout := seconds(p.TimeoutSeconds); timeout <= longest {
				t.Errorf("timeoutSeconds %v <= timeout %v of check %q", timeout, longest, name)
			}
			if p.TimeoutSeconds >= p.PeriodSeconds {
				t.Errorf("timeoutSeconds %d >= periodSeconds %d: probes would overlap", p.TimeoutSeconds, p.PeriodSeconds)
			}
			if kind != core.Readiness && p.SuccessThreshold > 1 {
				t.Errorf("successThreshold %d: the API server accepts only 1 for liveness and startup probes", p.SuccessThreshold)
			}
			if p.FailureThreshold < 1 || p.PeriodSeconds < 1 {
				t.Errorf("failureThreshold %d, periodSeconds %d: set both explicitly", p.FailureThreshold, p.PeriodSeconds)
			}
		})
	}
	if p := c.StartupProbe; p != nil {
		if budget := seconds(p.FailureThreshold * p.PeriodSeconds); budget <= 2*cfg.MigrationDelay {
			t.Errorf("startup budget %v (failureThreshold x periodSeconds) leaves no margin over the migrations (%v)", budget, cfg.MigrationDelay)
		}
	}
	if l, r := c.LivenessProbe, c.ReadinessProbe; l != nil && r != nil &&
		seconds(l.FailureThreshold*l.PeriodSeconds) <= seconds(r.FailureThreshold*r.PeriodSeconds) {
		t.Errorf("liveness gives up after %ds, no later than readiness (%ds): a dependency outage would restart pods instead of taking them out of rotation",
			l.FailureThreshold*l.PeriodSeconds, r.FailureThreshold*r.PeriodSeconds)
	}
}

func TestManifestShutdownTiming(t *testing.T) {
	t.Parallel()
	for _, m := range variants(t) {
		t.Run(m.name, func(t *testing.T) { manifestShutdownTiming(t, m) })
	}
}

func manifestShutdownTiming(t *testing.T, m manifests) {
	c, cfg := m.app(t)
	spec := m.deployment.Spec.Template.Spec

	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("want a preStop sleep action: the distroless image has no shell for an exec sleep")
	}
	preStop := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	if preStop != cfg.PropagationDelay {
		t.Errorf("preStop sleeps %v, PROPAGATION_DELAY is %v: they must match", preStop, cfg.PropagationDelay)
	}
	if spec.TerminationGracePeriodSeconds == nil {
		t.Fatal("terminationGracePeriodSeconds unset (default 30s): set it from the shutdown budget")
	}
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	// The adaptive delay (QUIET_PERIOD) may serve on up to its maximum.
	delay, delayName := cfg.PropagationDelay, "PROPAGATION_DELAY"
	if cfg.QuietPeriod > 0 {
		delay, delayName = cfg.PropagationDelayMax, "PROPAGATION_DELAY_MAX"
	}
	budget := preStop + delay + cfg.DrainTimeout + demo.HookTimeout
	if grace <= budget {
		t.Errorf("terminationGracePeriodSeconds %v <= preStop %v + %s %v + DRAIN_TIMEOUT %v + hook timeout %v = %v: the kubelet would SIGKILL a draining pod",
			grace, preStop, delayName, delay, cfg.DrainTimeout, demo.HookTimeout, budget)
	}
}

func TestManifestWiring(t *testing.T) {
	t.Parallel()
	for _, m := range variants(t) {
		t.Run(m.name, func(t *testing.T) { manifestWiring(t, m) })
	}
}

func manifestWiring(t *testing.T, m manifests) {
	c, cfg := m.app(t)
	grpcPort := m.grpcPort(t)
	d := m.deployment
	podLabels := d.Spec.Template.Labels

	selects := func(what string, sel map[string]string) {
		t.Helper()
		if len(sel) == 0 {
			t.Errorf("%s: empty selector", what)
		}
		for k, v := range sel {
			if podLabels[k] != v {
				t.Errorf("%s: selector %s=%s does not match the pod labels %v", what, k, v, podLabels)
			}
		}
	}
	if d.Spec.Selector == nil {
		t.Fatal("Deployment: no selector")
	}
	selects("Deployment", d.Spec.Selector.MatchLabels)
	selects("Service", m.service.Spec.Selector)
	if m.pdb.Spec.Selector == nil {
		t.Fatal("PodDisruptionBudget: no selector")
	}
	selects("PodDisruptionBudget", m.pdb.Spec.Selector.MatchLabels)

	for _, p := range m.service.Spec.Ports {
		if port := int(resolvePort(c, p.TargetPort)); port != cfg.Port && (grpcPort == 0 || port != grpcPort) {
			t.Errorf("Service port %s: targetPort %s resolves to %d, the example listens on %d", p.Name, p.TargetPort.String(), port, cfg.Port)
		}
	}

	// The example writes its database under the temporary directory, so a
	// read-only root file system needs a writable volume there.
	if sc := c.SecurityContext; sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
		if !slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool { return v.MountPath == containerTmp && !v.ReadOnly }) {
			t.Errorf("readOnlyRootFilesystem without a writable volume at %s, where the database lives", containerTmp)
		}
	}
	psc := d.Spec.Template.Spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != distrolessNonroot {
		t.Errorf("pod securityContext: want runAsNonRoot and runAsUser %d (the distroless nonroot user)", distrolessNonroot)
	}

	if m.grpc {
		return // an overlay: its base is checked as "base"
	}
	slices.Sort(m.files)
	res := slices.Sorted(slices.Values(m.resources))
	if !slices.Equal(res, m.files) {
		t.Errorf("kustomization resources %v, want every manifest %v", res, m.files)
	}
}

// TestDockerfile holds deploy/Dockerfile to the manifests and to the
// examples module: distroless static, non-root, the port the Deployment
// probes, a COPY of every module examples/go.mod replaces and of
// cmd/probekit-probe (the image builds with GOWORK=off), and a HEALTHCHECK
// that runs the probe binary like the Deployment's readinessProbe.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	m := loadManifests(t)
	c, cfg := m.app(t)

	var froms, users, exposes []string
	var healthchecks []dockerHealthcheck
	copied := map[string]bool{}
	finalCopies := map[string]string{} // destination -> source, COPY --from in the last stage
	// A backslash at the end of a line continues the instruction.
	for line := range strings.Lines(strings.ReplaceAll(string(data), "\\\n", " ")) {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, f[1])
			finalCopies = map[string]string{}
		case "USER":
			users = append(users, f[1])
		case "EXPOSE":
			exposes = append(exposes, f[1:]...)
		case "COPY":
			for _, src := range f[1 : len(f)-1] {
				copied[strings.TrimSuffix(src, "/")] = true
			}
			if strings.HasPrefix(f[1], "--from=") && len(f) == 4 {
				finalCopies[f[3]] = f[2]
			}
		case "HEALTHCHECK":
			healthchecks = append(healthchecks, parseHealthcheck(t, line, len(froms)))
		}
	}
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build, got FROM %v", froms)
	}
	if final := froms[len(froms)-1]; !strings.HasPrefix(final, "gcr.io/distroless/static") || !strings.HasSuffix(final, ":nonroot") {
		t.Errorf("final stage FROM %s, want gcr.io/distroless/static...:nonroot", final)
	}
	if len(users) == 0 || !strings.HasPrefix(users[len(users)-1], "nonroot") {
		t.Errorf("USER %v, want nonroot", users)
	}
	if !slices.Contains(exposes, strconv.Itoa(cfg.Port)) {
		t.Errorf("EXPOSE %v, want the example's port %d", exposes, cfg.Port)
	}
	if !strings.Contains(string(data), "CGO_ENABLED=0") {
		t.Error("want CGO_ENABLED=0: distroless/static has no C library")
	}

	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	replaced := regexp.MustCompile(`(?m)=>\s*\.\./(\S+)\s*$`).FindAllStringSubmatch(string(gomod), -1)
	if len(replaced) == 0 {
		t.Fatal("examples/go.mod replaces no module; the Dockerfile relies on those replaces")
	}
	for _, r := range append(replaced, []string{"", "examples"}, []string{"", "cmd/probekit-probe"}) {
		dir := r[1]
		for _, f := range []string{dir + "/go.mod", dir + "/go.sum", dir} {
			if !copied[f] {
				t.Errorf("Dockerfile does not COPY %s", f)
			}
		}
	}

	if len(healthchecks) != 1 {
		t.Fatalf("want one HEALTHCHECK, got %d", len(healthchecks))
	}
	checkHealthcheck(t, healthchecks[0], len(froms), finalCopies, c, cfg)
}

// dockerHealthcheck is a HEALTHCHECK instruction: its options, its exec-form
// command, and the build stage (1-based) it is in.
type dockerHealthcheck struct {
	options map[string]time.Duration // --interval, --timeout, --start-period
	retries int
	argv    []string
	stage   int
}

// parseHealthcheck reads `HEALTHCHECK [--opt=value ...] CMD ["exe", "arg"]`.
// The distroless image has no shell, so the shell form is an error here.
func parseHealthcheck(t *testing.T, line string, stage int) dockerHealthcheck {
	t.Helper()
	before, cmd, ok := strings.Cut(line, " CMD ")
	if !ok {
		t.Fatalf("HEALTHCHECK without CMD: %s", line)
	}
	hc := dockerHealthcheck{options: map[string]time.Duration{}, stage: stage}
	if err := json.Unmarshal([]byte(strings.TrimSpace(cmd)), &hc.argv); err != nil || len(hc.argv) == 0 {
		t.Fatalf("HEALTHCHECK CMD %s: want the exec form, a JSON array (the image has no shell): %v", cmd, err)
	}
	for _, opt := range strings.Fields(before)[1:] {
		name, value, ok := strings.Cut(opt, "=")
		if !ok {
			t.Fatalf("HEALTHCHECK option %s: want --name=value", opt)
		}
		if name == "--retries" {
			n, err := strconv.Atoi(value)
			if err != nil {
				t.Fatalf("HEALTHCHECK %s: %v", opt, err)
			}
			hc.retries = n
			continue
		}
		d, err := time.ParseDuration(value)
		if err != nil {
			t.Fatalf("HEALTHCHECK %s: %v", opt, err)
		}
		hc.options[name] = d
	}
	return hc
}

// checkHealthcheck holds the HEALTHCHECK to the image and the Deployment:
// in the final stage, running the probe binary copied into it, against the
// readiness path on the example's port over loopback, on the
// readinessProbe's rhythm and with the startupProbe's budget to start.
// Docker's --timeout must exceed the probe's own (the probe's default, the
// readinessProbe's timeoutSeconds), so that the probe's reason reaches the
// health log instead of Docker killing it.
func checkHealthcheck(t *testing.T, hc dockerHealthcheck, stages int, finalCopies map[string]string, c corev1.Container, cfg demo.Config) {
	t.Helper()
	if hc.stage != stages {
		t.Errorf("HEALTHCHECK in stage %d, want the final stage %d", hc.stage, stages)
	}
	if src := finalCopies[hc.argv[0]]; path.Base(src) != "probekit-probe" {
		t.Errorf("HEALTHCHECK runs %s, which the final stage does not COPY --from the build of probekit-probe (copies: %v)", hc.argv[0], finalCopies)
	}
	rp, sp := c.ReadinessProbe, c.StartupProbe
	if rp == nil || rp.HTTPGet == nil || sp == nil {
		t.Fatal("the Deployment needs an httpGet readinessProbe and a startupProbe")
	}
	if len(hc.argv) != 2 {
		t.Fatalf("HEALTHCHECK CMD %q: want the binary and the URL only (its default 1s timeout is the readinessProbe's)", hc.argv)
	}
	u, err := url.Parse(hc.argv[1])
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() != strconv.Itoa(cfg.Port) || u.Path != rp.HTTPGet.Path {
		t.Errorf("HEALTHCHECK probes %s, want http://127.0.0.1:%d%s", u, cfg.Port, rp.HTTPGet.Path)
	}
	if rp.TimeoutSeconds != 1 {
		t.Errorf("readinessProbe timeoutSeconds %d: the HEALTHCHECK's probe uses its 1s default", rp.TimeoutSeconds)
	}
	seconds := func(n int32) time.Duration { return time.Duration(n) * time.Second }
	if got := hc.options["--timeout"]; got <= seconds(rp.TimeoutSeconds) {
		t.Errorf("HEALTHCHECK --timeout=%v, want more than the probe's own %v", got, seconds(rp.TimeoutSeconds))
	}
	if got := hc.options["--interval"]; got != seconds(rp.PeriodSeconds) {
		t.Errorf("HEALTHCHECK --interval=%v, want the readinessProbe's periodSeconds %v", got, seconds(rp.PeriodSeconds))
	}
	if hc.retries != int(rp.FailureThreshold) {
		t.Errorf("HEALTHCHECK --retries=%d, want the readinessProbe's failureThreshold %d", hc.retries, rp.FailureThreshold)
	}
	if got, budget := hc.options["--start-period"], seconds(sp.PeriodSeconds*sp.FailureThreshold); got < budget {
		t.Errorf("HEALTHCHECK --start-period=%v, want at least the startupProbe's budget %v", got, budget)
	}
}
