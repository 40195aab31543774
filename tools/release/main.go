// Command release prepares a release of every module that versions.txt
// lists, at one version, as opentelemetry-go's multimod does for its module
// sets. `make release VERSION=vX.Y.Z` runs it from the repository root:
//
//	go run ./tools/release -version v0.2.0 -apidiff bin/apidiff-<pin>
//
// In order, it
//
//  1. checks VERSION: a semantic version greater than every released
//     module's previous tag (<module dir>/vX.Y.Z);
//  2. compares each module's API with its previous tag (apidiff on the
//     tree `git archive` extracts at that tag) and refuses a version bump too
//     small for what changed: an incompatible change needs a new minor
//     version below v1 (a new major version, so a new module path, from v1
//     on), an addition a new minor version; with no previous tag it says so
//     and skips this step;
//  3. rewrites every module's requirements of the released modules to
//     VERSION (golang.org/x/mod/modfile) and the version line of versions.txt;
//  4. writes the CHANGELOG.md section for VERSION from `git log` since the
//     previous tag, grouped by module directory (replacing the section if it
//     exists, so the command can be run again);
//  5. prints the commands that tag the release commit and push the tags.
//
// Nothing is edited when step 1 or 2 fails. The command creates no commit
// and no tag: a person reviews the diff first.
//
// From step 3 until the tags are pushed (and, now, until the first release
// is tagged), the released modules require a version no proxy has yet. The
// workspace builds, vets and tests them as usual, since go.work replaces
// every version of its modules; but `go mod tidy` and `go get` inside a
// released module ignore go.work and cannot resolve its siblings until the
// tags are published. The modules carry no replace directives to paper over
// that on purpose: a consumer would not see them (gorelease flags them too),
// and tools/consumer checks what a consumer sees.
//
// It lives in the tools module, which go.work lists and versions.txt
// excludes: it is never published, and needs only the standard library and
// golang.org/x/mod (the go command's own go.mod and version code); apidiff
// is a separate binary that the Makefile installs at a pinned version.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

func main() {
	var c config
	var date string
	flag.StringVar(&c.version, "version", "", "the version to release, e.g. v0.2.0 (required)")
	flag.StringVar(&c.root, "root", ".", "the repository root, holding go.work and versions.txt")
	flag.StringVar(&c.apidiff, "apidiff", "", "path of the apidiff binary (golang.org/x/exp/cmd/apidiff); needed once a previous release exists")
	flag.StringVar(&date, "date", "", "the release date in CHANGELOG.md, YYYY-MM-DD (default: today, UTC)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "release: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	c.date = time.Now().UTC()
	if date != "" {
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			fmt.Fprintf(os.Stderr, "release: -date: %v\n", err)
			os.Exit(2)
		}
		c.date = d
	}
	c.out = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, c)
	stop() // not deferred: os.Exit below would skip it
	if err != nil {
		fmt.Fprintf(os.Stderr, "release: %v\n", err)
		os.Exit(1)
	}
}
