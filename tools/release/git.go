package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/probekit/probekit/tools/versions"
	"golang.org/x/mod/semver"
)

// previousTags maps each released module's path to the highest version it
// has been tagged at (<dir>/vX.Y.Z). Modules never tagged are absent.
func previousTags(ctx context.Context, set *versions.Set) (map[string]string, error) {
	prev := map[string]string{}
	for _, m := range set.Released {
		out, err := git(ctx, set.Root, "tag", "--list", m.Tag("v*"))
		if err != nil {
			return nil, err
		}
		for _, tag := range strings.Fields(out) {
			v := strings.TrimPrefix(tag, strings.TrimSuffix(m.Tag("v"), "v"))
			if versions.CheckVersion(v) != nil {
				continue // not a release tag, e.g. core/vnext
			}
			if semver.Compare(v, prev[m.Path]) > 0 {
				prev[m.Path] = v
			}
		}
	}
	return prev, nil
}

// git runs git in dir and returns its standard output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
