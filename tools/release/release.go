package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/probekit/probekit/tools/versions"
	"golang.org/x/mod/semver"
)

// ErrVersion is wrapped by every error about the requested version.
var ErrVersion = errors.New("VERSION")

// config is one run of the release command.
type config struct {
	root    string    // repository root
	version string    // the version to release
	apidiff string    // apidiff binary; may be empty when there is no previous tag
	date    time.Time // the release date written in the changelog
	out     io.Writer // progress and the tag commands
}

// run prepares the release described by c; see the command's doc.
func run(ctx context.Context, c config) error {
	set, err := versions.Load(c.root)
	if err != nil {
		return err
	}
	if err := versions.CheckVersion(c.version); err != nil {
		return fmt.Errorf("%w: %w", ErrVersion, err)
	}
	prev, err := previousTags(ctx, set)
	if err != nil {
		return err
	}
	for _, m := range set.Released {
		if p := prev[m.Path]; p != "" && semver.Compare(c.version, p) <= 0 {
			return fmt.Errorf("%w: %s is not greater than the previous release %s", ErrVersion, c.version, m.Tag(p))
		}
	}

	if len(prev) == 0 {
		fmt.Fprintf(c.out, "No previous release tag (%s): skipping the API compatibility check.\n", set.Released[0].Tag("v*"))
	} else if err := checkAPI(ctx, c, set, prev); err != nil {
		return err
	}

	changed, err := set.Bump(c.version)
	if err != nil {
		return err
	}
	if err := versions.SetVersion(filepath.Join(set.Root, versions.FileName), c.version); err != nil {
		return err
	}
	changed = append(changed, versions.FileName)
	section, err := changelogSection(ctx, set, prev, c.version, c.date)
	if err != nil {
		return err
	}
	if err := writeChangelog(filepath.Join(set.Root, changelogFile), c.version, section); err != nil {
		return err
	}
	changed = append(changed, changelogFile)

	var tags []string
	for _, m := range set.Released {
		tags = append(tags, m.Tag(c.version))
	}
	fmt.Fprintf(c.out, "Release %s prepared in %s.\n", c.version, strings.Join(changed, ", "))
	fmt.Fprintf(c.out, "Review the diff, commit it, then tag that commit and push the tags:\n\n")
	fmt.Fprintf(c.out, "\tgit commit -am %q\n", "Release "+c.version)
	for _, t := range tags {
		fmt.Fprintf(c.out, "\tgit tag -a %s -m %q\n", t, t)
	}
	fmt.Fprintf(c.out, "\tgit push origin %s\n", strings.Join(tags, " "))
	return nil
}
