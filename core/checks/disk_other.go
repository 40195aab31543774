//go:build !(linux || darwin || freebsd || dragonfly)

package checks

import "errors"

const diskSupported = false

func freeBytes(string) (uint64, error) { return 0, errors.ErrUnsupported }
