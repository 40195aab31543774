package docs_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestDocsCompile compiles every Go block of README.md and docs/*.md as a
// reader would paste it. A block that does not compile fails the test with
// its file:line (the generated code carries //line directives, so the
// compiler's own messages point into the Markdown).
func TestDocsCompile(t *testing.T) {
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{"../README.md"}, files...)
	var all [][]*snippet
	for _, f := range files {
		md, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := extract(f, string(md))
		if err != nil {
			t.Error(err)
			continue
		}
		all = append(all, s)
	}
	if t.Failed() {
		return
	}
	n := 0
	for _, s := range all {
		n += len(s)
	}
	if n == 0 {
		t.Fatal("no Go block found: is the extractor broken?")
	}
	if out, err := build(t, all); err != nil {
		t.Errorf("Go blocks of the docs do not compile:\n%s", out)
	}
}

// build writes each compiled snippet of each file (a group) as a package
// main of its own, inside this module so that it resolves the workspace's
// modules, and builds them all with one go build. It returns the
// compiler's output, whose positions point into the Markdown files.
func build(t *testing.T, groups [][]*snippet) (string, error) {
	t.Helper()
	// testdata: `go build ./...` and `go vet ./...` of the module skip it,
	// so a concurrent run never sees these half-written packages.
	root, err := os.MkdirTemp("testdata", "snippets-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	var pkgs []string
	names := map[string]string{} // package dir -> file:line of its block
	for _, g := range groups {
		byID := map[string]*snippet{}
		for _, s := range g {
			if s.id != "" {
				byID[s.id] = s
			}
		}
		for _, s := range g {
			if s.skip != "" {
				t.Logf("%s: skipped: %s", s.pos(), s.skip)
				continue
			}
			dir := filepath.Join(root, fmt.Sprintf("b%d", len(pkgs)))
			if err := write(dir, s, byID); err != nil {
				t.Fatal(err)
			}
			pkgs = append(pkgs, "./"+filepath.ToSlash(dir))
			names[filepath.Base(dir)] = s.pos()
		}
	}
	cmd := exec.Command("go", append([]string{"build", "-o", os.DevNull}, pkgs...)...)
	out, err := cmd.CombinedOutput()
	return label(string(out), names), err
}

var pkgHeader = regexp.MustCompile(`(?m)^# \S*/(b\d+)$`)

// label replaces go build's "# import/path/bN" headers with the block's
// file:line, which the reader can open.
func label(out string, names map[string]string) string {
	return pkgHeader.ReplaceAllStringFunc(out, func(h string) string {
		b := pkgHeader.FindStringSubmatch(h)[1]
		return "# go block at " + names[b]
	})
}

// write renders s (with the fragments it continues) into dir as package main.
func write(dir string, s *snippet, byID map[string]*snippet) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	abs, err := filepath.Abs(s.file)
	if err != nil {
		return err
	}
	var src strings.Builder
	if s.program {
		fmt.Fprintf(&src, "//line %s:%d\n%s", abs, s.line, s.code)
		return os.WriteFile(filepath.Join(dir, "snippet.go"), []byte(src.String()), 0o644)
	}
	c := chain(s, byID)
	imports := map[string]bool{}
	given := map[string]bool{"common": true}
	for _, p := range c {
		for _, i := range p.imports {
			imports[i] = true
		}
		for _, g := range p.given {
			given[g] = true
		}
	}
	src.WriteString("package main\n\nimport (\n")
	for _, i := range sortedKeys(imports) {
		fmt.Fprintf(&src, "\t%q\n", i)
	}
	src.WriteString(")\n\nfunc main() {}\n\n// run is the reader's function (main calls it): its body is the blocks, in order.\nfunc run() error {\n")
	for _, p := range c {
		fmt.Fprintf(&src, "//line %s:%d\n%s", abs, p.line, p.code)
	}
	src.WriteString("\treturn nil\n}\n")
	if err := os.WriteFile(filepath.Join(dir, "snippet.go"), []byte(src.String()), 0o644); err != nil {
		return err
	}
	for _, g := range sortedKeys(given) {
		b, err := os.ReadFile(filepath.Join("testdata", "given", g+".go"))
		if err != nil {
			return fmt.Errorf("%s: given=%s: %w", s.pos(), g, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "given_"+g+".go"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
