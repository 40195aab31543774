package versions

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// FileName is the name of the versions file at the repository root.
const FileName = "versions.txt"

// ErrSyntax is wrapped by every error about the content of a versions file.
var ErrSyntax = errors.New("versions file")

// File is the content of a versions file.
type File struct {
	Version  string   // the version every released module has (or is about to be tagged at)
	Released []string // module paths, in file order
	Excluded []string // module paths never published, in file order
}

// Parse reads a versions file. name is used in error messages only.
func Parse(name string, r io.Reader) (File, error) {
	var f File
	seen := map[string]int{} // module path -> line it was listed on
	versionLine := 0
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return File{}, fmt.Errorf("%w %s:%d: want \"version vX.Y.Z\", \"release MODULE\" or \"exclude MODULE\", got %q", ErrSyntax, name, n, line)
		}
		switch key, val := fields[0], fields[1]; key {
		case "version":
			if versionLine != 0 {
				return File{}, fmt.Errorf("%w %s:%d: second version line (first on line %d)", ErrSyntax, name, n, versionLine)
			}
			if err := CheckVersion(val); err != nil {
				return File{}, fmt.Errorf("%w %s:%d: %w", ErrSyntax, name, n, err)
			}
			f.Version, versionLine = val, n
		case "release", "exclude":
			if err := module.CheckPath(val); err != nil {
				return File{}, fmt.Errorf("%w %s:%d: %w", ErrSyntax, name, n, err)
			}
			if first, dup := seen[val]; dup {
				return File{}, fmt.Errorf("%w %s:%d: %s is already listed on line %d", ErrSyntax, name, n, val, first)
			}
			seen[val] = n
			if key == "release" {
				f.Released = append(f.Released, val)
			} else {
				f.Excluded = append(f.Excluded, val)
			}
		default:
			return File{}, fmt.Errorf("%w %s:%d: unknown keyword %q (want version, release or exclude)", ErrSyntax, name, n, key)
		}
	}
	if err := sc.Err(); err != nil {
		return File{}, fmt.Errorf("reading %s: %w", name, err)
	}
	if versionLine == 0 {
		return File{}, fmt.Errorf("%w %s: no version line", ErrSyntax, name)
	}
	if len(f.Released) == 0 {
		return File{}, fmt.Errorf("%w %s: no released module", ErrSyntax, name)
	}
	return f, nil
}

// CheckVersion reports whether v can be a release version: canonical
// semantic version with a leading v (v1.2.3 or v1.2.3-rc.1), no build
// metadata, which the go command does not accept in a module version.
func CheckVersion(v string) error {
	if !semver.IsValid(v) {
		return fmt.Errorf("%q is not a semantic version of the form vMAJOR.MINOR.PATCH", v)
	}
	if semver.Build(v) != "" {
		return fmt.Errorf("%q has build metadata, which module versions cannot carry", v)
	}
	if semver.Canonical(v) != v {
		return fmt.Errorf("%q is not complete: write %s", v, semver.Canonical(v))
	}
	return nil
}

// SetVersion rewrites the version line of the versions file at path to v,
// keeping every other line (comments included) as it is.
func SetVersion(path, v string) error {
	if err := CheckVersion(v); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading versions file: %w", err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	done := false
	for i, l := range lines {
		fields := strings.Fields(string(l))
		if len(fields) == 2 && fields[0] == "version" {
			lines[i] = []byte("version " + v + "\n")
			done = true
			break
		}
	}
	if !done {
		return fmt.Errorf("%w %s: no version line", ErrSyntax, path)
	}
	return writeFile(path, bytes.Join(lines, nil))
}

// writeFile replaces path's content, keeping its permissions.
func writeFile(path string, data []byte) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, st.Mode().Perm()); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
