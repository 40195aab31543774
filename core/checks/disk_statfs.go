//go:build linux || darwin || freebsd || dragonfly

package checks

import (
	"os"
	"syscall"
)

const diskSupported = true

// freeBytes returns the bytes available to unprivileged users on the file
// system holding path. The field types differ between systems, hence the
// conversions.
func freeBytes(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil //nolint:unconvert // Bavail and Bsize have other types on the other systems this file builds for
}
