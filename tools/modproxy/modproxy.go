// Package modproxy writes a file-based Go module proxy holding modules of
// this repository, zipped from the working tree, at one version:
//
//	err := modproxy.Write(dir, "v0.1.0", set.Released, time.Now())
//	// then: GOPROXY=file://<dir>,<the usual proxy> go get github.com/probekit/probekit/chihealth@v0.1.0
//
// It lays out what a real proxy serves after the tags are pushed
// (<module>/@v/list, <version>.info, .mod and .zip, see `go help goproxy`),
// so a consumer's build can be tried before anything is published. The zips
// are made by golang.org/x/mod/zip, the code the go command itself uses, so
// they hold exactly the files a tag would publish: nested modules, vendor
// directories and files a module zip cannot hold are left out the same way.
package modproxy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/probekit/probekit/tools/versions"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Write adds every module of mods at version to the proxy directory dir,
// creating it if needed. t is the version's time in the .info file.
func Write(dir, version string, mods []versions.Module, t time.Time) error {
	for _, m := range mods {
		if err := writeModule(dir, version, m, t); err != nil {
			return fmt.Errorf("module proxy: %s: %w", m.Path, err)
		}
	}
	return nil
}

func writeModule(dir, version string, m versions.Module, t time.Time) error {
	mv := module.Version{Path: m.Path, Version: version}
	if err := module.Check(mv.Path, mv.Version); err != nil {
		return err
	}
	escaped, err := module.EscapePath(m.Path)
	if err != nil {
		return err
	}
	ev, err := module.EscapeVersion(version)
	if err != nil {
		return err
	}
	vdir := filepath.Join(dir, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(m.Dir, "go.mod"))
	if err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, t.UTC()})
	if err != nil {
		return err
	}
	zf, err := os.Create(filepath.Join(vdir, ev+".zip"))
	if err != nil {
		return err
	}
	if err := modzip.CreateFromDir(zf, mv, m.Dir); err != nil {
		zf.Close()
		return err
	}
	if err := zf.Close(); err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{
		{ev + ".mod", gomod},
		{ev + ".info", info},
		{"list", []byte(version + "\n")},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(vdir, f.name), f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
