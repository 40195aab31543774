package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// buildBinary builds the command as the Dockerfile does (CGO_ENABLED=0,
// -trimpath, stripped) into dir.
func buildBinary(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "probekit-probe")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// execBinary runs the built binary and returns its exit status and output.
func execBinary(tb testing.TB, bin string, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		tb.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestBinary builds the command and runs it as a process: the exit status
// and the streams are what a kubelet or Docker sees.
func TestBinary(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t, t.TempDir())
	if runtime.GOOS == "linux" {
		assertStatic(t, bin)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.Error(w, "\x1b[2Jdown", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	hs := health.NewServer()
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	addr := serveGRPC(t, gs)

	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		stderr     string
		wantStderr bool
	}{
		{"200", []string{srv.URL + "/readyz"}, exitOK, "probekit-probe: GET " + srv.URL + "/readyz: status 200 OK\n", "", false},
		{"503", []string{srv.URL + "/livez"}, exitFailure, "", "probekit-probe: GET " + srv.URL + "/livez: status 503 Service Unavailable (want 200-399)\n", true},
		{"usage", []string{"--nope", srv.URL}, exitUsage, "", "probekit-probe: unknown flag --nope\nusage:", true},
		{"grpc serving", []string{"grpc", addr}, exitOK, "probekit-probe: grpc " + addr + ": status SERVING\n", "", false},
		{"grpc unknown service", []string{"grpc", addr, "--service", "readiness"}, exitFailure, "", "probekit-probe: grpc " + addr + " service readiness: unknown service\n", true},
		{"help", []string{"--help"}, exitOK, "usage:\n  probekit-probe [flags] http[s]://", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := execBinary(t, bin, append([]string{slowMachine}, tt.args...)...)
			if code != tt.code || !strings.HasPrefix(stdout, tt.stdout) || !strings.HasPrefix(stderr, tt.stderr) ||
				(stdout == "") != (tt.stdout == "") || (stderr == "") != (tt.stderr == "") {
				t.Errorf("exit %d\nstdout: %q\nstderr: %q\nwant exit %d\nstdout: %q...\nstderr: %q...", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// assertStatic fails unless bin is a static ELF executable: no program
// interpreter, no shared libraries, as distroless/static and scratch need.
func assertStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has a %v program header: not static", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v", libs)
	}
}

// BenchmarkStartup is a whole probe as a container runtime runs it: start
// the static binary, GET a local server, exit. The baseline starts the same
// binary for --help only, so the difference is the probe itself. The
// binary's size is reported as bytes/binary.
func BenchmarkStartup(b *testing.B) {
	bin := buildBinary(b, b.TempDir())
	st, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	for _, bc := range []struct {
		name string
		args []string
		code int
	}{
		{"baseline=help", []string{"--help"}, exitOK},
		{"http", []string{srv.URL + "/readyz"}, exitOK},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if code, _, stderr := execBinary(b, bin, bc.args...); code != bc.code {
					b.Fatalf("exit %d: %s", code, stderr)
				}
			}
			b.ReportMetric(float64(st.Size()), "bytes/binary")
		})
	}
}
