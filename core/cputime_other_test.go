//go:build !linux

package core

func threadCPUTime() (int64, bool) { return 0, false }
