package core

import (
	"syscall"
	"unsafe"
)

// threadCPUTime is conformance's (which core's tests cannot import): the
// CPU time, in nanoseconds, the calling thread has used, and false if
// Linux's CLOCK_THREAD_CPUTIME_ID is unavailable.
func threadCPUTime() (int64, bool) {
	const clockThreadCPUTime = 3
	var ts syscall.Timespec
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0, false
	}
	return ts.Nano(), true
}
