package examples_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/examples/grpc/orders"
)

// grpcManifestDir is the grpc example's kustomize overlay. It is a sibling
// of the base, not inside it: kustomize refuses a base that contains its
// overlay.
const grpcManifestDir = "../deploy/kubernetes-grpc"

// grpcHealthServices maps the gRPC health service names a probe may ask for
// to the probe kind grpchealth answers them with (see its package doc).
var grpcHealthServices = map[string]core.Kind{
	"":          core.Readiness,
	"readiness": core.Readiness,
	"liveness":  core.Liveness,
	"startup":   core.Startup,
}

// variants returns the base manifests and the grpc example's, so that the
// manifest tests hold both to the app's timing and wiring.
func variants(t *testing.T) []manifests {
	return []manifests{loadManifests(t), loadGRPCManifests(t)}
}

// overlayKustomization is the part of a kustomize overlay the grpc variant
// uses, strictly decoded.
type overlayKustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
	Patches    []struct {
		Path string `json:"path"`
	} `json:"patches"`
}

// loadGRPCManifests applies the overlay's patches to the base as kustomize
// does (strategic merge, with the Kubernetes types' merge keys), strictly
// decoding each patch and each result.
func loadGRPCManifests(t *testing.T) manifests {
	t.Helper()
	m := loadManifests(t)
	m.grpc, m.name, m.files, m.resources = true, "grpc", nil, nil
	data, err := os.ReadFile(filepath.Join(grpcManifestDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k overlayKustomization
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatalf("kubernetes-grpc/kustomization.yaml: %v", err)
	}
	if !slices.Equal(k.Resources, []string{"../kubernetes"}) || len(k.Patches) == 0 {
		t.Fatalf("kubernetes-grpc/kustomization.yaml: resources %v, %d patches; want the base and patches", k.Resources, len(k.Patches))
	}
	for _, p := range k.Patches {
		data, err := os.ReadFile(filepath.Join(grpcManifestDir, p.Path))
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocuments(data) {
			where := fmt.Sprintf("kubernetes-grpc/%s, document %d", p.Path, i+1)
			var meta struct {
				Kind string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			switch meta.Kind {
			case "Deployment":
				m.deployment = patched(t, where, m.deployment, doc)
			case "Service":
				m.service = patched(t, where, m.service, doc)
			default:
				t.Fatalf("%s: a patch of %s: teach this test its invariants", where, meta.Kind)
			}
		}
	}
	return m
}

// patched returns orig with the strategic merge patch doc applied.
func patched[T any](t *testing.T, where string, orig *T, doc []byte) *T {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, new(T)); err != nil {
		t.Fatalf("%s: strict decode: %v", where, err)
	}
	base, err := json.Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	var schema T
	out, err := strategicpatch.StrategicMergePatch(base, patch, schema)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	res := new(T)
	if err := yaml.UnmarshalStrict(out, res); err != nil {
		t.Fatalf("%s: patched object: %v", where, err)
	}
	return res
}

// grpcPort returns the port the grpc example serves gRPC on under this
// manifest's environment, with the example's own parser; 0 for the base.
func (m manifests) grpcPort(t *testing.T) int {
	t.Helper()
	if !m.grpc {
		return 0
	}
	c, _ := m.app(t)
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	port, err := orders.ParsePort(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the grpc example rejects the manifest's environment: %v", err)
	}
	return port
}

// The variant is what it says: the grpc image, a grpc readiness probe, and
// the gRPC port both in the container and in the Service.
func TestGRPCManifestVariant(t *testing.T) {
	t.Parallel()
	m := loadGRPCManifests(t)
	c, _ := m.app(t)
	port := m.grpcPort(t)
	if c.Image != "probekit-example:grpc" {
		t.Errorf("image %s, want probekit-example:grpc", c.Image)
	}
	if p := c.ReadinessProbe; p == nil || p.GRPC == nil || p.HTTPGet != nil {
		t.Errorf("readiness probe %+v, want a grpc probe and no httpGet", p)
	}
	if !slices.ContainsFunc(m.service.Spec.Ports, func(p corev1.ServicePort) bool { return int(resolvePort(c, p.TargetPort)) == port }) {
		t.Errorf("the Service exposes no port to gRPC (%d)", port)
	}
}
