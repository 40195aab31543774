package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/probekit/probekit/core"
)

// DiskSpace returns a check that fails (or degrades, see [LimitOptions])
// when the file system holding path has less than minFree bytes available
// to unprivileged users (statfs's f_bavail, what `df` shows as Avail).
// Register it for the volume a service writes to: a full disk fails writes
// long after the process looks healthy.
//
// DiskSpace is available on Linux, macOS, FreeBSD and DragonFly BSD; on
// other systems it returns an error wrapping errors.ErrUnsupported. The
// statfs call cannot be cancelled: on a hung network file system the
// registry abandons it at the check's timeout and does not start it again
// until it returns.
//
// Failures read "disk /var/lib/app: 512 MiB free (min 1 GiB)" or
// "disk /var/lib/app: no such file or directory". DiskSpace returns an error
// if path is empty, is a URL ("://") or holds a control character (it is
// shown in reasons), or if minFree is zero.
func DiskSpace(path string, minFree uint64, opts LimitOptions) (core.CheckFunc, error) {
	switch {
	case path == "":
		return nil, errors.New("checks: DiskSpace: path is empty")
	case strings.Contains(path, "://"):
		return nil, errors.New("checks: DiskSpace: path is a URL (\"://\"), which is not echoed; " +
			"pass the local mount point of the volume")
	case !utf8.ValidString(path) || strings.ContainsFunc(path, isControl):
		return nil, errors.New("checks: DiskSpace: path holds invalid UTF-8 or a control character; " +
			"it is shown in reasons")
	case minFree == 0:
		return nil, errors.New("checks: DiskSpace: minFree must be positive")
	case !diskSupported:
		return nil, fmt.Errorf("checks: DiskSpace: %w on this operating system", errors.ErrUnsupported)
	}
	label := "disk " + path
	return func(context.Context) error {
		free, err := freeBytes(path)
		if err != nil {
			// No deadline applies to statfs: classify the error alone.
			return core.Unhealthy(label+": "+describe(context.Background(), 0, err), err)
		}
		if free >= minFree {
			return nil
		}
		return opts.breach(
			fmt.Sprintf("%s: %s free (min %s)", label, formatBytes(free), formatBytes(minFree)),
			fmt.Sprintf("%d bytes available, want at least %d", free, minFree))
	}, nil
}
