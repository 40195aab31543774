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
// Like the go command fetching from a repository, a module in a
// subdirectory without a LICENSE of its own gets the repository root's.
package modproxy

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/probekit/probekit/tools/versions"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Write adds every module of mods at version to the proxy directory dir,
// creating it if needed. root is the repository root, whose LICENSE goes
// into the zip of a module that has none. t is the version's time in the
// .info file.
func Write(dir, root, version string, mods []versions.Module, t time.Time) error {
	for _, m := range mods {
		if err := writeModule(dir, root, version, m, t); err != nil {
			return fmt.Errorf("module proxy: %s: %w", m.Path, err)
		}
	}
	return nil
}

func writeModule(dir, root, version string, m versions.Module, t time.Time) error {
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
	if err := writeZip(filepath.Join(vdir, ev+".zip"), root, mv, m.Dir); err != nil {
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

// writeZip writes the module zip of mv from dir to name, adding root's
// LICENSE when dir has none, as cmd/go's coderepo.go does for a module in a
// subdirectory of a repository.
func writeZip(name, root string, mv module.Version, dir string) error {
	var buf bytes.Buffer
	if err := modzip.CreateFromDir(&buf, mv, dir); err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return err
	}
	prefix := mv.Path + "@" + mv.Version + "/"
	var files []modzip.File
	haveLicense := false
	for _, f := range zr.File {
		files = append(files, zipFile{path: f.Name[len(prefix):], f: f})
		haveLicense = haveLicense || f.Name == prefix+"LICENSE"
	}
	if !haveLicense && filepath.Clean(root) != filepath.Clean(dir) {
		if _, err := os.Stat(filepath.Join(root, "LICENSE")); err == nil {
			files = append(files, diskFile{path: "LICENSE", name: filepath.Join(root, "LICENSE")})
		}
	}
	out, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := modzip.Create(out, mv, files); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// zipFile is a file of a module zip made by CreateFromDir.
type zipFile struct {
	path string
	f    *zip.File
}

func (z zipFile) Path() string                 { return z.path }
func (z zipFile) Lstat() (fs.FileInfo, error)  { return z.f.FileInfo(), nil }
func (z zipFile) Open() (io.ReadCloser, error) { return z.f.Open() }

// diskFile is a file outside the module's directory put into its zip.
type diskFile struct {
	path, name string
}

func (d diskFile) Path() string                 { return d.path }
func (d diskFile) Lstat() (fs.FileInfo, error)  { return os.Lstat(d.name) }
func (d diskFile) Open() (io.ReadCloser, error) { return os.Open(d.name) }
