package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machine describes this machine: CPU model from /proc/cpuinfo, cores, the
// load averages before (as given) and now, and the go command's version.
func machine(loadBefore string) machineInfo {
	m := machineInfo{cpu: "unknown", cores: runtime.NumCPU(), loadBefore: loadFields(loadBefore), goVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
		_ = f.Close()
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.loadAfter = loadFields(string(b))
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.goVersion = strings.TrimSpace(strings.TrimPrefix(string(out), "go version "))
	}
	return m
}

// loadFields keeps the three load averages of a /proc/loadavg line.
func loadFields(s string) string {
	f := strings.Fields(s)
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
