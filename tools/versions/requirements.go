package versions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
)

// ErrRequirement is wrapped by every error about a go.mod that names a
// released module wrongly.
var ErrRequirement = errors.New("go.mod requirement")

// Check verifies the requirements between modules: every module requires
// the released modules at s.Version (the version that is, or is about to be,
// tagged), and no released module replaces a released module, since a
// consumer's build ignores replace directives and would need what they hide.
// Excluded modules may replace released ones: nobody consumes them.
func (s *Set) Check() error {
	var errs []error
	for _, m := range s.All() {
		f, err := s.parse(m)
		if err != nil {
			return err
		}
		for _, r := range f.Require {
			if s.IsReleased(r.Mod.Path) && r.Mod.Version != s.Version {
				errs = append(errs, fmt.Errorf("%w: %s/go.mod requires %s %s, not %s (run make release, never edit by hand)", ErrRequirement, m.Rel, r.Mod.Path, r.Mod.Version, s.Version))
			}
		}
		if s.IsReleased(m.Path) {
			for _, r := range f.Replace {
				if s.IsReleased(r.Old.Path) {
					errs = append(errs, fmt.Errorf("%w: %s/go.mod replaces %s; a consumer ignores that, so the module must build from the required version (use go.work for development)", ErrRequirement, m.Rel, r.Old.Path))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Bump rewrites the requirements of released modules in every module's
// go.mod (released and excluded) to version v. It returns the go.mod files
// it changed, relative to the root. It edits nothing when a released module
// replaces a released module (see Check).
func (s *Set) Bump(v string) ([]string, error) {
	if err := CheckVersion(v); err != nil {
		return nil, err
	}
	type edit struct {
		name string
		f    *modfile.File
	}
	var edits []edit
	for _, m := range s.All() {
		f, err := s.parse(m)
		if err != nil {
			return nil, err
		}
		changed := false
		for _, r := range f.Require {
			if s.IsReleased(r.Mod.Path) && r.Mod.Version != v {
				if err := f.AddRequire(r.Mod.Path, v); err != nil {
					return nil, fmt.Errorf("%s/go.mod: %w", m.Rel, err)
				}
				changed = true
			}
		}
		if s.IsReleased(m.Path) {
			for _, r := range f.Replace {
				if s.IsReleased(r.Old.Path) {
					return nil, fmt.Errorf("%w: %s/go.mod replaces %s; remove it (use go.work for development) before releasing", ErrRequirement, m.Rel, r.Old.Path)
				}
			}
		}
		if changed {
			edits = append(edits, edit{name: filepath.Join(m.Dir, "go.mod"), f: f})
		}
	}
	var changed []string
	for _, e := range edits {
		e.f.Cleanup()
		data, err := e.f.Format()
		if err != nil {
			return changed, fmt.Errorf("formatting %s: %w", e.name, err)
		}
		if err := writeFile(e.name, data); err != nil {
			return changed, err
		}
		rel, _ := filepath.Rel(s.Root, e.name)
		changed = append(changed, filepath.ToSlash(rel))
	}
	return changed, nil
}

// parse reads m's go.mod.
func (s *Set) parse(m Module) (*modfile.File, error) {
	name := filepath.Join(m.Dir, "go.mod")
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading go.mod: %w", err)
	}
	f, err := modfile.Parse(strings.TrimPrefix(name, s.Root+string(filepath.Separator)), data, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing go.mod: %w", err)
	}
	return f, nil
}
