package modproxy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/tools/versions"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{
		"LICENSE":           "root license",
		"a/go.mod":          "module example.com/r/a\n\ngo 1.25\n",
		"a/a.go":            "package a\n",
		"a/sub/sub.go":      "package sub\n",
		"a/nested/go.mod":   "module example.com/r/a/nested\n",
		"a/nested/n.go":     "package nested\n",
		"b/go.mod":          "module example.com/r/B\n\ngo 1.25\n",
		"b/LICENSE":         "b's own license",
		"b/b.go":            "package b\n",
		"b/vendor/x/x.go":   "package x\n",
		"unrelated/file.go": "package unrelated\n",
	}
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mods := []versions.Module{
		{Path: "example.com/r/a", Dir: filepath.Join(root, "a"), Rel: "a"},
		{Path: "example.com/r/B", Dir: filepath.Join(root, "b"), Rel: "b"},
	}
	proxy := t.TempDir()
	when := time.Date(2026, 11, 28, 1, 2, 3, 0, time.UTC)
	if err := Write(proxy, root, "v0.3.0", mods, when); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mod       string
		wantFiles string
		license   string
	}{
		{"example.com/r/a", "LICENSE a.go go.mod sub/sub.go", "root license"},
		{"example.com/r/B", "LICENSE b.go go.mod", "b's own license"},
	}
	for _, tt := range tests {
		escaped, _ := module.EscapePath(tt.mod)
		vdir := filepath.Join(proxy, filepath.FromSlash(escaped), "@v")
		if list, _ := os.ReadFile(filepath.Join(vdir, "list")); string(list) != "v0.3.0\n" {
			t.Errorf("%s list = %q", tt.mod, list)
		}
		var info struct {
			Version string
			Time    time.Time
		}
		data, _ := os.ReadFile(filepath.Join(vdir, "v0.3.0.info"))
		if err := json.Unmarshal(data, &info); err != nil || info.Version != "v0.3.0" || !info.Time.Equal(when) {
			t.Errorf("%s info = %s (%v)", tt.mod, data, err)
		}
		if gomod, _ := os.ReadFile(filepath.Join(vdir, "v0.3.0.mod")); !strings.HasPrefix(string(gomod), "module "+tt.mod+"\n") {
			t.Errorf("%s mod = %q", tt.mod, gomod)
		}
		zipName := filepath.Join(vdir, "v0.3.0.zip")
		checked, err := modzip.CheckZip(module.Version{Path: tt.mod, Version: "v0.3.0"}, zipName)
		if err != nil {
			t.Fatalf("%s zip: %v", tt.mod, err)
		}
		var got []string
		for _, f := range checked.Valid {
			got = append(got, strings.TrimPrefix(f, tt.mod+"@v0.3.0/"))
		}
		sort.Strings(got)
		if strings.Join(got, " ") != tt.wantFiles {
			t.Errorf("%s zip holds %q, want %q", tt.mod, got, tt.wantFiles)
		}
		unzipped := t.TempDir()
		if err := modzip.Unzip(unzipped, module.Version{Path: tt.mod, Version: "v0.3.0"}, zipName); err != nil {
			t.Fatal(err)
		}
		if lic, _ := os.ReadFile(filepath.Join(unzipped, "LICENSE")); string(lic) != tt.license {
			t.Errorf("%s LICENSE = %q, want %q", tt.mod, lic, tt.license)
		}
	}
}
