package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBumpAllows(t *testing.T) {
	t.Parallel()
	incompatible := apiChanges{incompatible: []string{"Foo: removed"}}
	added := apiChanges{compatible: []string{"Bar: added"}}
	tests := []struct {
		name, prev, next string
		ch               apiChanges
		wantErr          string
	}{
		{"patch, no change", "v0.1.0", "v0.1.1", apiChanges{}, ""},
		{"patch with new API", "v0.1.0", "v0.1.1", added, "new API since v0.1.0 needs at least a new minor version (v0.2.0), not v0.1.1"},
		{"minor with new API", "v0.1.3", "v0.2.0", added, ""},
		{"v0 patch, incompatible", "v0.1.0", "v0.1.1", incompatible, "incompatible changes since v0.1.0 need at least a new minor version (v0.2.0)"},
		{"v0 minor, incompatible", "v0.1.0", "v0.2.0", incompatible, ""},
		{"v0 to v1, incompatible", "v0.9.0", "v1.0.0", incompatible, ""},
		{"v1 minor, incompatible", "v1.2.0", "v1.3.0", incompatible, "need a new major version, which in Go is a new module path ending in /v2"},
		{"v1 minor with new API", "v1.2.0", "v1.3.0", added, ""},
		{"prerelease of a minor with new API", "v0.1.0", "v0.2.0-rc.1", added, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := bumpAllows(tt.prev, tt.next, tt.ch)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("bumpAllows(%s, %s) = %v, want %q", tt.prev, tt.next, err, tt.wantErr)
			}
		})
	}
}

func TestParseReport(t *testing.T) {
	t.Parallel()
	out := "Incompatible changes:\n- Foo: removed\n- Bar: changed from int to string\nCompatible changes:\n- Baz: added\n"
	ch := parseReport(out)
	if len(ch.incompatible) != 2 || ch.incompatible[1] != "Bar: changed from int to string" || len(ch.compatible) != 1 || ch.compatible[0] != "Baz: added" {
		t.Errorf("parseReport = %+v", ch)
	}
	if ch := parseReport(""); len(ch.incompatible)+len(ch.compatible) != 0 {
		t.Errorf("parseReport of no changes = %+v", ch)
	}
}

func TestWriteChangelog(t *testing.T) {
	t.Parallel()
	const v1 = "## v0.1.0 (2026-01-01)\n\n### a\n\n- first\n"
	tests := []struct {
		name, existing, version, section, want string
	}{
		{"new file", "", "v0.1.0", v1, changelogHeader + "\n" + v1},
		{"above the newest", changelogHeader + "\n" + v1, "v0.2.0", "## v0.2.0 (2026-02-01)\n\n### a\n\n- second\n",
			changelogHeader + "\n## v0.2.0 (2026-02-01)\n\n### a\n\n- second\n\n" + v1},
		{"replaces its own section", changelogHeader + "\n## v0.2.0 (2026-02-01)\n\n- old\n\n" + v1, "v0.2.0", "## v0.2.0 (2026-02-02)\n\n- new\n",
			changelogHeader + "\n## v0.2.0 (2026-02-02)\n\n- new\n\n" + v1},
		{"replaces the last section", changelogHeader + "\n" + v1, "v0.1.0", "## v0.1.0 (2026-01-02)\n\n- again\n",
			changelogHeader + "\n## v0.1.0 (2026-01-02)\n\n- again\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), changelogFile)
			if tt.existing != "" {
				if err := os.WriteFile(path, []byte(tt.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := writeChangelog(path, tt.version, tt.section); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(path); string(got) != tt.want {
				t.Errorf("changelog =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// repo is a temporary git repository shaped like this one: two released
// modules (a, and b requiring a) and an excluded one (ex, replacing a).
type repo struct {
	t    *testing.T
	root string
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	r := &repo{t: t, root: t.TempDir()}
	r.write(map[string]string{
		"go.work":      "go 1.26.0\n\nuse (\n\t./a\n\t./b\n\t./ex\n)\n",
		"versions.txt": "# set\nversion v0.1.0\n\nrelease example.com/r/a\nrelease example.com/r/b\nexclude example.com/r/ex\n",
		"a/go.mod":     "module example.com/r/a\n\ngo 1.25\n",
		"a/a.go":       "// Package a is a.\npackage a\n\n// A is a.\nfunc A() int { return 1 }\n",
		"b/go.mod":     "module example.com/r/b\n\ngo 1.25\n\nrequire example.com/r/a v0.0.0\n",
		"b/b.go":       "// Package b is b.\npackage b\n\nimport \"example.com/r/a\"\n\n// B is b.\nfunc B() int { return a.A() }\n",
		"ex/go.mod":    "module example.com/r/ex\n\ngo 1.25\n\nrequire example.com/r/a v0.0.0\n\nreplace example.com/r/a => ../a\n",
	})
	r.git("init", "-q")
	r.commit("start")
	return r
}

func (r *repo) write(files map[string]string) {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *repo) read(name string) string {
	r.t.Helper()
	data, err := os.ReadFile(filepath.Join(r.root, filepath.FromSlash(name)))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(data)
}

func (r *repo) git(args ...string) {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = r.root
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func (r *repo) commit(msg string) {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
}

// release runs the command on the repository.
func (r *repo) release(version, apidiff string) (string, error) {
	var out bytes.Buffer
	err := run(r.t.Context(), config{root: r.root, version: version, apidiff: apidiff, date: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), out: &out})
	return out.String(), err
}

// fakeAPIDiff writes an apidiff stand-in that reports the given text when
// comparing and logs the directory of each call to <root>/calls.
func fakeAPIDiff(t *testing.T, report string) (bin, calls string) {
	t.Helper()
	dir := t.TempDir()
	bin, calls = filepath.Join(dir, "apidiff"), filepath.Join(dir, "calls")
	script := "#!/bin/sh\necho \"$PWD $*\" >> " + calls + "\n" +
		"if [ \"$2\" = -w ]; then echo export > \"$3\"; exit 0; fi\n" +
		"printf '" + strings.ReplaceAll(report, "\n", `\n`) + "'\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, calls
}

func TestFirstRelease(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	out, err := r.release("v0.1.0", "")
	if err != nil {
		t.Fatalf("release: %v\n%s", err, out)
	}
	for _, want := range []string{
		"No previous release tag (a/v*): skipping the API compatibility check.",
		"Release v0.1.0 prepared in b/go.mod, ex/go.mod, versions.txt, CHANGELOG.md.",
		"\tgit tag -a a/v0.1.0 -m \"a/v0.1.0\"\n\tgit tag -a b/v0.1.0 -m \"b/v0.1.0\"\n",
		"\tgit push origin a/v0.1.0 b/v0.1.0\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := r.read("b/go.mod"); !strings.Contains(got, "require example.com/r/a v0.1.0\n") {
		t.Errorf("b/go.mod not bumped:\n%s", got)
	}
	if got := r.read("ex/go.mod"); !strings.Contains(got, "require example.com/r/a v0.1.0\n") || !strings.Contains(got, "replace example.com/r/a => ../a") {
		t.Errorf("ex/go.mod not bumped, or lost its replace:\n%s", got)
	}
	want := changelogHeader + "\n## v0.1.0 (2026-11-28)\n\n### a\n\n- start\n\n### b\n\n- start\n"
	if got := r.read(changelogFile); got != want {
		t.Errorf("changelog =\n%s\nwant\n%s", got, want)
	}
}

func TestNextRelease(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	if out, err := r.release("v0.1.0", ""); err != nil {
		t.Fatalf("first release: %v\n%s", err, out)
	}
	r.commit("Release v0.1.0")
	r.git("tag", "a/v0.1.0")
	r.git("tag", "b/v0.1.0")
	r.git("tag", "a/vnext") // not a release: ignored
	r.write(map[string]string{"a/a2.go": "package a\n\n// A2 is new.\nfunc A2() int { return 2 }\n"})
	r.commit("a: add A2")
	added, calls := fakeAPIDiff(t, "Compatible changes:\n- A2: added\n")

	tests := []struct {
		name, version, apidiff string
		wantErr                error
		wantMsg                string
	}{
		{"same version", "v0.1.0", added, ErrVersion, "v0.1.0 is not greater than the previous release a/v0.1.0"},
		{"older version", "v0.0.9", added, ErrVersion, "not greater"},
		{"incomplete version", "v0.2", added, ErrVersion, `"v0.2" is not complete: write v0.2.0`},
		{"no apidiff", "v0.2.0", "", ErrAPI, "needs apidiff"},
		{"patch for new API", "v0.1.1", added, ErrAPI, "a: new API since v0.1.0 needs at least a new minor version (v0.2.0), not v0.1.1"},
	}
	before := map[string]string{}
	for _, f := range []string{"b/go.mod", "versions.txt", changelogFile} {
		before[f] = r.read(f)
	}
	for _, tt := range tests {
		out, err := r.release(tt.version, tt.apidiff)
		if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("%s: release = %v, want %v containing %q\n%s", tt.name, err, tt.wantErr, tt.wantMsg, out)
		}
		for f, content := range before {
			if r.read(f) != content {
				t.Fatalf("%s: a failed release edited %s", tt.name, f)
			}
		}
	}

	out, err := r.release("v0.2.0", added)
	if err != nil {
		t.Fatalf("release v0.2.0: %v\n%s", err, out)
	}
	if !strings.Contains(out, "a: API since a/v0.1.0: 0 incompatible, 1 compatible changes.\n\tcompatible: A2: added\n") {
		t.Errorf("output lacks the API report:\n%s", out)
	}
	log, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	// The previous API is read from the tree at the tag, the new one from
	// the working tree.
	if lines := strings.Split(strings.TrimSpace(string(log)), "\n"); len(lines) < 2 ||
		strings.HasPrefix(lines[0], r.root) || !strings.Contains(lines[0], "-m -w ") || !strings.HasSuffix(lines[0], " example.com/r/a") ||
		!strings.HasPrefix(lines[1], filepath.Join(r.root, "a")+" -m ") {
		t.Errorf("apidiff calls:\n%s", log)
	}
	if got := r.read("versions.txt"); !strings.Contains(got, "\nversion v0.2.0\n") {
		t.Errorf("versions.txt:\n%s", got)
	}
	if got := r.read("b/go.mod"); !strings.Contains(got, "require example.com/r/a v0.2.0\n") {
		t.Errorf("b/go.mod:\n%s", got)
	}
	want := changelogHeader + "\n## v0.2.0 (2026-11-28)\n\n### a\n\n- a: add A2\n\n### b\n\nNo changes.\n\n## v0.1.0 (2026-11-28)\n"
	if got := r.read(changelogFile); !strings.HasPrefix(got, want) {
		t.Errorf("changelog =\n%s\nwant it to start with\n%s", got, want)
	}
}
