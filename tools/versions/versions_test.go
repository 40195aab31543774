package versions

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (slash-separated names relative to the returned
// root) into a new temporary directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const (
	workFile = "go 1.26.0\n\nuse (\n\t./a\n\t./b\n\t./ex\n)\n"
	goodFile = "# modules\nversion v0.2.0\n\nrelease example.com/r/a\nrelease example.com/r/b\nexclude example.com/r/ex\n"
	modA     = "module example.com/r/a\n\ngo 1.25\n\nrequire golang.org/x/mod v0.43.0\n"
	modB     = "module example.com/r/b\n\ngo 1.25\n\nrequire (\n\texample.com/r/a v0.1.0\n\tgolang.org/x/mod v0.43.0\n)\n"
	modEx    = "module example.com/r/ex\n\ngo 1.25\n\nrequire (\n\texample.com/r/a v0.1.0\n\texample.com/r/b v0.1.0\n)\n\nreplace example.com/r/a => ../a\n"
)

func tree(t *testing.T, overrides map[string]string) string {
	t.Helper()
	files := map[string]string{
		"go.work":   workFile,
		FileName:    goodFile,
		"a/go.mod":  modA,
		"b/go.mod":  modB,
		"ex/go.mod": modEx,
		"a/doc.txt": "a",
	}
	for k, v := range overrides {
		if v == "" {
			delete(files, k)
			continue
		}
		files[k] = v
	}
	return writeTree(t, files)
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, wantErr string
	}{
		{"good", goodFile, ""},
		{"no version", "release example.com/a\n", "no version line"},
		{"two versions", "version v1.0.0\nversion v1.1.0\nrelease example.com/a\n", "second version line (first on line 1)"},
		{"short version", "version v1.0\nrelease example.com/a\n", `"v1.0" is not complete: write v1.0.0`},
		{"not semver", "version 1.0.0\nrelease example.com/a\n", "not a semantic version"},
		{"build metadata", "version v1.0.0+x\nrelease example.com/a\n", "build metadata"},
		{"no release", "version v1.0.0\nexclude example.com/a\n", "no released module"},
		{"duplicate", "version v1.0.0\nrelease example.com/a\nexclude example.com/a\n", ":3: example.com/a is already listed on line 2"},
		{"bad path", "version v1.0.0\nrelease Example..com/a\n", ":2: "},
		{"unknown keyword", "version v1.0.0\nmodule example.com/a\n", `unknown keyword "module"`},
		{"three fields", "version v1.0.0 now\n", `:1: want "version vX.Y.Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Parse("v.txt", strings.NewReader(tt.in))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if f.Version != "v0.2.0" || len(f.Released) != 2 || f.Excluded[0] != "example.com/r/ex" {
					t.Fatalf("Parse = %+v", f)
				}
				return
			}
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse error = %v, want ErrSyntax containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		overrides map[string]string
		wantErr   string
	}{
		{"consistent", nil, ""},
		{"module of go.work not listed", map[string]string{
			"go.work":  workFile + "use ./c\n",
			"c/go.mod": "module example.com/r/c\n",
		}, "go.work has example.com/r/c, which versions.txt neither releases nor excludes"},
		{"listed module not in go.work", map[string]string{
			FileName: goodFile + "release example.com/r/gone\n",
		}, "lists example.com/r/gone, which is not a module of go.work"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := tree(t, tt.overrides)
			s, err := Load(root)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInconsistent) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want ErrInconsistent containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var tags []string
			for _, m := range s.Released {
				tags = append(tags, m.Tag(s.Version))
			}
			if got := strings.Join(tags, " "); got != "a/v0.2.0 b/v0.2.0" {
				t.Errorf("tags = %q", got)
			}
			if s.Excluded[0].Dir != filepath.Join(root, "ex") || !s.IsReleased("example.com/r/b") || s.IsReleased("example.com/r/ex") {
				t.Errorf("set = %+v", s)
			}
		})
	}
}

func TestBump(t *testing.T) {
	t.Parallel()
	root := tree(t, nil)
	s, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); !errors.Is(err, ErrRequirement) || !strings.Contains(err.Error(), "b/go.mod requires example.com/r/a v0.1.0, not v0.2.0") {
		t.Fatalf("Check before Bump = %v, want the stale requirement", err)
	}
	changed, err := s.Bump("v0.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(changed, " "); got != "b/go.mod ex/go.mod" {
		t.Errorf("changed = %q, want b/go.mod ex/go.mod (a requires no sibling)", got)
	}
	if err := s.Check(); err != nil {
		t.Errorf("Check after Bump: %v", err)
	}
	wantB := "module example.com/r/b\n\ngo 1.25\n\nrequire (\n\texample.com/r/a v0.2.0\n\tgolang.org/x/mod v0.43.0\n)\n"
	if got, _ := os.ReadFile(filepath.Join(root, "b", "go.mod")); string(got) != wantB {
		t.Errorf("b/go.mod =\n%s\nwant\n%s", got, wantB)
	}
	ex, _ := os.ReadFile(filepath.Join(root, "ex", "go.mod"))
	if !strings.Contains(string(ex), "example.com/r/b v0.2.0") || !strings.Contains(string(ex), "replace example.com/r/a => ../a") {
		t.Errorf("ex/go.mod lost its bump or its replace:\n%s", ex)
	}
	if changed, err := s.Bump("v0.2.0"); err != nil || len(changed) != 0 {
		t.Errorf("second Bump = %v, %v; want nothing to change", changed, err)
	}
}

func TestBumpRefusesReplaceInReleasedModule(t *testing.T) {
	t.Parallel()
	root := tree(t, map[string]string{"b/go.mod": modB + "\nreplace example.com/r/a => ../a\n"})
	s, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); !errors.Is(err, ErrRequirement) || !strings.Contains(err.Error(), "b/go.mod replaces example.com/r/a") {
		t.Errorf("Check = %v, want the replace reported", err)
	}
	if _, err := s.Bump("v0.2.0"); !errors.Is(err, ErrRequirement) {
		t.Fatalf("Bump = %v, want ErrRequirement", err)
	}
	if ex, _ := os.ReadFile(filepath.Join(root, "ex", "go.mod")); string(ex) != modEx {
		t.Errorf("Bump edited ex/go.mod although it failed:\n%s", ex)
	}
}

func TestSetVersion(t *testing.T) {
	t.Parallel()
	root := tree(t, nil)
	name := filepath.Join(root, FileName)
	if err := SetVersion(name, "v0.3"); err == nil {
		t.Fatal("SetVersion accepted v0.3")
	}
	if err := SetVersion(name, "v0.3.0"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(name)
	if want := strings.Replace(goodFile, "v0.2.0", "v0.3.0", 1); string(got) != want {
		t.Errorf("versions file =\n%s\nwant\n%s", got, want)
	}
}

// TestRepository holds this repository to its versions file: every module of
// go.work listed, every requirement of a released module at the listed
// version, no replace directive a consumer would need.
func TestRepository(t *testing.T) {
	t.Parallel()
	s, err := Load(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}
