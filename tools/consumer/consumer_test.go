package consumer

import (
	"bytes"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/tools/modproxy"
	"github.com/probekit/probekit/tools/versions"
)

// TestInstall builds and runs a consumer of each released module, as a user
// would after the release.
func TestInstall(t *testing.T) {
	set, err := versions.Load(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	if err := modproxy.Write(proxy, set.Root, set.Version, set.Released, time.Now()); err != nil {
		t.Fatal(err)
	}
	env := consumerEnv(t, proxy)
	for _, m := range set.Released {
		t.Run(m.Rel, func(t *testing.T) {
			t.Parallel()
			cmd, err := isCommand(m.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if cmd {
				installCommand(t, env, m, set.Version)
				return
			}
			program, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(m.Rel), "main.go"))
			if err != nil {
				t.Fatalf("every released module needs a consumer program: %v", err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.go"), program, 0o644); err != nil {
				t.Fatal(err)
			}
			goCmd(t, dir, env, "mod", "init", "example.com/consumer")
			goCmd(t, dir, env, "get", m.Path+"@"+set.Version)
			goCmd(t, dir, env, "mod", "tidy")
			// -trimpath keeps the build cache's keys free of the
			// temporary module cache's path, so a second run reuses the
			// compiled third-party packages.
			goCmd(t, dir, env, "build", "-trimpath", "-o", "consumer", ".")

			gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err != nil {
				t.Fatal(err)
			}
			if want := m.Path + " " + set.Version; !bytes.Contains(gomod, []byte(want)) {
				t.Errorf("consumer go.mod lacks %q:\n%s", want, gomod)
			}
			// The go command puts the repository's LICENSE into the zip of a
			// module in a subdirectory; pkg.go.dev shows no docs without one.
			modDir := strings.TrimSpace(goCmd(t, dir, env, "list", "-m", "-f", "{{.Dir}}", m.Path))
			if _, err := os.Stat(filepath.Join(modDir, "LICENSE")); err != nil {
				t.Errorf("installed %s has no LICENSE: %v", m.Path, err)
			}
			out := run(t, dir, env, filepath.Join(dir, "consumer"))
			if !strings.HasPrefix(out, "200\n") || !strings.Contains(out, "[+]consumer ok") {
				t.Errorf("probe through %s answered\n%s\nwant 200 with [+]consumer ok", m.Rel, out)
			}
		})
	}
}

// installCommand installs a command module as its users do, `go install
// <module>@<version>` outside any module, and runs the binary against a
// local server; a command has no API to import, so it needs no consumer
// program. Every command of this repository probes a URL given as its
// argument (cmd/probekit-probe) and exits 0 for a 200.
func installCommand(t *testing.T, env []string, m versions.Module, version string) {
	t.Helper()
	dir := t.TempDir()
	gobin := filepath.Join(dir, "bin")
	env = append(env[:len(env):len(env)], "GOBIN="+gobin, "CGO_ENABLED=0")
	goCmd(t, dir, env, "install", "-trimpath", m.Path+"@"+version)

	modDir := filepath.Join(envValue(env, "GOMODCACHE"), filepath.FromSlash(m.Path)+"@"+version)
	if _, err := os.Stat(filepath.Join(modDir, "LICENSE")); err != nil {
		t.Errorf("installed %s has no LICENSE: %v", m.Path, err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	out := run(t, dir, env, filepath.Join(gobin, path.Base(m.Path)), srv.URL+"/readyz")
	if !strings.Contains(out, "200") {
		t.Errorf("%s against a 200 printed %q, want the status", m.Rel, out)
	}
}

// isCommand reports whether the module in dir is a command: its root
// package is main.
func isCommand(dir string) (bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return false, err
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.PackageClauseOnly)
		if err != nil {
			return false, err
		}
		return f.Name.Name == "main", nil
	}
	return false, nil
}

// envValue is the last value of name in env, as exec uses it.
func envValue(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// consumerEnv is the environment of a consumer's go commands: outside any
// workspace, the repository's modules from the file proxy first, everything
// else from the local module cache's download directory (itself a valid
// file proxy, so a warm machine needs no network) and then the usual proxy.
//
// The module cache is a temporary one: the file proxy's versions carry the
// same version numbers as the real releases, and a shared cache would keep
// an earlier working tree's zip under that version forever. The checksum
// database is skipped for the repository's modules only (GONOSUMDB): their
// content is the working tree, not what a release published.
func consumerEnv(t *testing.T, proxy string) []string {
	t.Helper()
	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	proxies := []string{"file://" + filepath.ToSlash(proxy)}
	if dl := filepath.Join(goEnv("GOMODCACHE"), "cache", "download"); isDir(dl) {
		proxies = append(proxies, "file://"+filepath.ToSlash(dl))
	}
	proxies = append(proxies, goEnv("GOPROXY"))

	overrides := map[string]string{
		"GOWORK":      "off",
		"GOFLAGS":     "-mod=mod -modcacherw -trimpath",
		"GOPROXY":     strings.Join(proxies, ","),
		"GOMODCACHE":  t.TempDir(),
		"GONOSUMDB":   "github.com/probekit/*",
		"GOPRIVATE":   "",
		"GONOPROXY":   "",
		"GOTOOLCHAIN": "local",
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, ours := overrides[name]; !ours {
			env = append(env, kv)
		}
	}
	for k, v := range overrides {
		env = append(env, k+"="+v)
	}
	return env
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	return run(t, dir, env, "go", args...)
}

// run runs a command in dir and returns its standard output; a failure ends
// the test with the command and everything it printed.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	start := time.Now()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	t.Logf("%s %s: %v", filepath.Base(name), strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return stdout.String()
}
