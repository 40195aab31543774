// Package versions reads versions.txt, the file that names the modules of
// this repository released together and the version they share, and finds
// each module's directory through go.work:
//
//	set, err := versions.Load(root) // root holds go.work and versions.txt
//	if err != nil { ... }
//	for _, m := range set.Released {
//		fmt.Println(m.Tag(set.Version)) // core/v0.1.0, chihealth/v0.1.0, ...
//	}
//
// The file plays the part of opentelemetry-go's versions.yaml. It is a plain
// line format rather than YAML so that the tools module needs nothing beyond
// the standard library and golang.org/x/mod, and because this repository has
// one module set: everything released is released together.
//
//	# comment
//	version v0.1.0
//	release github.com/probekit/probekit/core
//	exclude github.com/probekit/probekit/examples
//
// Load insists that every module of go.work is listed exactly once, as
// released or excluded, so a new module cannot be forgotten by a release.
package versions
