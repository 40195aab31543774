package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/probekit/probekit/tools/versions"
)

const changelogFile = "CHANGELOG.md"

const changelogHeader = `# Changelog

Every release tags each module listed in versions.txt at the same version
(` + "`core/vX.Y.Z`, `chihealth/vX.Y.Z`, ..." + `); ` + "`make release VERSION=vX.Y.Z`" + ` writes its
section from the commits since the previous release, per module.
`

// changelogSection is the CHANGELOG.md section of version: for each
// released module, the subjects of the commits that touched its directory
// since its previous tag (all of its history when it has none), nested
// modules' directories left out.
func changelogSection(ctx context.Context, set *versions.Set, prev map[string]string, version string, date time.Time) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s (%s)\n", version, date.Format(time.DateOnly))
	for _, m := range set.Released {
		args := []string{"log", "--no-merges", "--format=%s"}
		if p := prev[m.Path]; p != "" {
			args = append(args, m.Tag(p)+"..HEAD")
		}
		args = append(args, "--", pathspec(m.Rel))
		for _, other := range set.All() {
			if other.Rel != m.Rel && isUnder(other.Rel, m.Rel) {
				args = append(args, ":(exclude)"+pathspec(other.Rel))
			}
		}
		out, err := git(ctx, set.Root, args...)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n### %s\n\n", m.Rel)
		subjects := strings.Split(strings.TrimSpace(out), "\n")
		if out == "" || subjects[0] == "" {
			b.WriteString("No changes.\n")
			continue
		}
		for _, s := range subjects {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	return b.String(), nil
}

func pathspec(rel string) string {
	if rel == "." {
		return ":/"
	}
	return ":/" + rel
}

// isUnder reports whether directory rel is inside directory parent (both
// slash-separated, relative to the root).
func isUnder(rel, parent string) bool {
	return parent == "." || strings.HasPrefix(rel, parent+"/")
}

// writeChangelog puts section into the changelog at path: in place of an
// existing section for version, or else above the newest section.
func writeChangelog(path, version, section string) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		data, err = []byte(changelogHeader), nil
	}
	if err != nil {
		return fmt.Errorf("reading changelog: %w", err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	start, end := -1, len(lines)
	for i, l := range lines {
		if !strings.HasPrefix(l, "## ") {
			continue
		}
		if start >= 0 {
			end = i
			break
		}
		if strings.HasPrefix(l, "## "+version+" ") || strings.TrimSpace(l) == "## "+version {
			start = i
			continue
		}
		if start < 0 {
			// the newest section, not ours: insert above it
			start, end = i, i
			break
		}
	}
	var out string
	switch {
	case start < 0: // no section yet
		out = strings.TrimRight(string(data), "\n") + "\n\n" + section
	default:
		before := strings.Join(lines[:start], "")
		after := strings.Join(lines[end:], "")
		out = before + section
		if after != "" {
			out += "\n" + after
		}
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		return fmt.Errorf("writing changelog: %w", err)
	}
	return nil
}
