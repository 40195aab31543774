package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/probekit/probekit/tools/versions"
	"golang.org/x/mod/semver"
)

// ErrAPI is wrapped by the error of a release whose version bump is too
// small for its API changes.
var ErrAPI = errors.New("API check")

// apiChanges is what apidiff reported for one module.
type apiChanges struct {
	incompatible, compatible []string
}

// checkAPI compares every released module that has a previous tag with
// the tree at that tag, and fails if c.version is too small a step.
func checkAPI(ctx context.Context, c config, set *versions.Set, prev map[string]string) error {
	if c.apidiff == "" {
		return fmt.Errorf("%w: a previous release exists, so the API check needs apidiff (-apidiff; make release installs it)", ErrAPI)
	}
	tmp, err := os.MkdirTemp("", "probekit-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	trees := map[string]string{} // tag's commit -> extracted tree
	var errs []error
	for _, m := range set.Released {
		p := prev[m.Path]
		if p == "" {
			fmt.Fprintf(c.out, "%s: no previous tag, nothing to compare.\n", m.Rel)
			continue
		}
		commit, err := git(ctx, set.Root, "rev-parse", m.Tag(p)+"^{commit}")
		if err != nil {
			return err
		}
		commit = strings.TrimSpace(commit)
		old, ok := trees[commit]
		if !ok {
			old = filepath.Join(tmp, commit)
			if err := extract(ctx, set.Root, commit, old); err != nil {
				return err
			}
			trees[commit] = old
		}
		ch, err := diffModule(ctx, c.apidiff, m, filepath.Join(old, filepath.FromSlash(m.Rel)), filepath.Join(tmp, commit+"-"+strings.ReplaceAll(m.Rel, "/", "_")+".export"))
		if err != nil {
			return err
		}
		fmt.Fprintf(c.out, "%s: API since %s: %d incompatible, %d compatible changes.\n", m.Rel, m.Tag(p), len(ch.incompatible), len(ch.compatible))
		for _, s := range ch.incompatible {
			fmt.Fprintf(c.out, "\tincompatible: %s\n", s)
		}
		for _, s := range ch.compatible {
			fmt.Fprintf(c.out, "\tcompatible: %s\n", s)
		}
		if err := bumpAllows(p, c.version, ch); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %w", ErrAPI, m.Rel, err))
		}
	}
	return errors.Join(errs...)
}

// bumpAllows reports whether going from prev to next is a large enough step
// for the changes, by the rules gorelease applies: below v1 an incompatible
// change needs a new minor version; from v1 on it needs a new major version,
// which in Go is a new module path (/v2) that this tool does not make; new
// API needs a new minor version.
func bumpAllows(prev, next string, ch apiChanges) error {
	newMinor := semver.Compare(semver.MajorMinor(next), semver.MajorMinor(prev)) > 0
	switch {
	case len(ch.incompatible) > 0 && semver.Major(prev) != "v0":
		return fmt.Errorf("incompatible changes since %s need a new major version, which in Go is a new module path ending in /v%d: undo them instead", prev, majorNumber(prev)+1)
	case len(ch.incompatible) > 0 && !newMinor:
		return fmt.Errorf("incompatible changes since %s need at least a new minor version (%s), not %s", prev, nextMinor(prev), next)
	case len(ch.compatible) > 0 && !newMinor:
		return fmt.Errorf("new API since %s needs at least a new minor version (%s), not %s", prev, nextMinor(prev), next)
	}
	return nil
}

func majorNumber(v string) int {
	var n int
	_, _ = fmt.Sscanf(semver.Major(v), "v%d", &n) // no number reads as 0
	return n
}

func nextMinor(v string) string {
	var major, minor int
	_, _ = fmt.Sscanf(semver.MajorMinor(v), "v%d.%d", &major, &minor) // no number reads as 0
	return fmt.Sprintf("v%d.%d.0", major, minor+1)
}

// diffModule runs apidiff on module m: export data of the old tree's copy
// (loaded in the old tree's workspace), then a comparison with the working
// tree's copy.
func diffModule(ctx context.Context, apidiff string, m versions.Module, oldDir, export string) (apiChanges, error) {
	if _, err := runIn(ctx, oldDir, apidiff, "-m", "-w", export, m.Path); err != nil {
		return apiChanges{}, fmt.Errorf("%w: exporting the previous API of %s: %w", ErrAPI, m.Rel, err)
	}
	out, err := runIn(ctx, m.Dir, apidiff, "-m", export, m.Path)
	if err != nil {
		return apiChanges{}, fmt.Errorf("%w: comparing the API of %s: %w", ErrAPI, m.Rel, err)
	}
	return parseReport(out), nil
}

// parseReport reads apidiff's text report: a "Incompatible changes:" and a
// "Compatible changes:" section, each a list of "- message" lines.
func parseReport(out string) apiChanges {
	var ch apiChanges
	var list *[]string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "Incompatible changes:":
			list = &ch.incompatible
		case line == "Compatible changes:":
			list = &ch.compatible
		case strings.HasPrefix(line, "- ") && list != nil:
			*list = append(*list, strings.TrimPrefix(line, "- "))
		}
	}
	return ch
}

func runIn(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// extract writes the tree of commit into dir, through `git archive`, so the
// working tree and the repository's worktree list stay untouched.
func extract(ctx context.Context, root, commit, dir string) error {
	cmd := exec.CommandContext(ctx, "git", "archive", "--format=tar", commit)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git archive: %w", err)
	}
	untarErr := untar(pipe, dir)
	if untarErr != nil {
		_, _ = io.Copy(io.Discard, pipe) // let git finish writing before Wait; untarErr is the error
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git archive %s: %w: %s", commit, err, strings.TrimSpace(stderr.String()))
	}
	return untarErr
}

func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading git archive: %w", err)
		}
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("git archive: entry %q leaves the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(name, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o755|0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
