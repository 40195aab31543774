package versions

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
)

// ErrInconsistent is wrapped by every error about a versions file that does
// not match go.work.
var ErrInconsistent = errors.New("versions.txt and go.work disagree")

// Module is one module of the repository.
type Module struct {
	Path string // module path, e.g. github.com/probekit/probekit/core
	Dir  string // absolute directory holding its go.mod
	Rel  string // Dir relative to the repository root, slash-separated: "core"
}

// Tag returns the git tag that publishes m at version v: the module's
// directory, a slash and the version ("core/v0.1.0"), which is how the go
// command finds a module in a subdirectory of a repository.
func (m Module) Tag(v string) string {
	if m.Rel == "." {
		return v
	}
	return m.Rel + "/" + v
}

// Set is the repository's versions file resolved against its go.work.
type Set struct {
	Root     string   // absolute repository root
	Version  string   // the version line of the versions file
	Released []Module // in versions-file order
	Excluded []Module // in versions-file order
}

// Load reads root/versions.txt and root/go.work. It fails when a module of
// go.work is not listed, or a listed module is not in go.work.
func Load(root string) (*Set, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("repository root: %w", err)
	}
	name := filepath.Join(root, FileName)
	fh, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("reading versions file: %w", err)
	}
	defer fh.Close()
	f, err := Parse(name, fh)
	if err != nil {
		return nil, err
	}
	dirs, err := workModules(root)
	if err != nil {
		return nil, err
	}
	s := &Set{Root: root, Version: f.Version}
	resolve := func(paths []string) ([]Module, error) {
		var mods []Module
		for _, p := range paths {
			m, ok := dirs[p]
			if !ok {
				return nil, fmt.Errorf("%w: %s lists %s, which is not a module of go.work", ErrInconsistent, FileName, p)
			}
			delete(dirs, p)
			mods = append(mods, m)
		}
		return mods, nil
	}
	if s.Released, err = resolve(f.Released); err != nil {
		return nil, err
	}
	if s.Excluded, err = resolve(f.Excluded); err != nil {
		return nil, err
	}
	if len(dirs) > 0 {
		var missing []string
		for p := range dirs {
			missing = append(missing, p)
		}
		sort.Strings(missing)
		return nil, fmt.Errorf("%w: go.work has %s, which %s neither releases nor excludes", ErrInconsistent, strings.Join(missing, ", "), FileName)
	}
	return s, nil
}

// All returns every module of the repository: the released ones, then the
// excluded ones.
func (s *Set) All() []Module {
	return append(append([]Module(nil), s.Released...), s.Excluded...)
}

// IsReleased reports whether the module path is one of the released modules.
func (s *Set) IsReleased(modPath string) bool {
	for _, m := range s.Released {
		if m.Path == modPath {
			return true
		}
	}
	return false
}

// workModules maps the module path of every `use` directory of root/go.work
// to its Module.
func workModules(root string) (map[string]Module, error) {
	name := filepath.Join(root, "go.work")
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading go.work: %w", err)
	}
	wf, err := modfile.ParseWork(name, data, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing go.work: %w", err)
	}
	mods := map[string]Module{}
	for _, u := range wf.Use {
		dir := filepath.Join(root, filepath.FromSlash(u.Path))
		gomod := filepath.Join(dir, "go.mod")
		data, err := os.ReadFile(gomod)
		if err != nil {
			return nil, fmt.Errorf("go.work uses %s: %w", u.Path, err)
		}
		p := modfile.ModulePath(data)
		if p == "" {
			return nil, fmt.Errorf("%s has no module line", gomod)
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return nil, fmt.Errorf("go.work uses %s: %w", u.Path, err)
		}
		mods[p] = Module{Path: p, Dir: dir, Rel: path.Clean(filepath.ToSlash(rel))}
	}
	return mods, nil
}
