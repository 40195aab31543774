// Package healthtest provides a controllable check for testing code that
// uses probekit: make a dependency slow, failing, hanging or panicking on
// demand and count how often it is called.
//
//	dep := healthtest.NewFake()
//	h.Register(core.Check{Name: "db", Check: dep.Check, Timeout: 50 * time.Millisecond})
//	dep.Fail(errors.New("connection refused"))
//	// ... assert /readyz answers 503 ...
//	dep.Hang()         // ignores its context, like a stuck driver
//	defer dep.Release() // let hanging calls return before the test ends
package healthtest

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Fake is a check whose behaviour tests set at any time. Its methods are
// safe for concurrent use. The zero value is a healthy Fake, as is NewFake's.
type Fake struct {
	calls atomic.Int64

	mu      sync.Mutex // guards the fields below
	err     error
	latency time.Duration
	panicV  any
	hang    chan struct{} // non-nil while hanging; closed by Release
}

// NewFake returns a healthy Fake with no latency.
func NewFake() *Fake { return &Fake{} }

// Check is the core.CheckFunc to register. It waits the latency (or until
// ctx ends), then panics, fails or succeeds as set. While hanging it blocks
// until Release, ignoring ctx.
func (f *Fake) Check(ctx context.Context) error {
	f.calls.Add(1)
	f.mu.Lock()
	err, latency, panicV, hang := f.err, f.latency, f.panicV, f.hang
	f.mu.Unlock()
	if hang != nil {
		<-hang
		return err
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if panicV != nil {
		panic(panicV)
	}
	return err
}

// Fail makes later calls return err; Fail(nil) is Succeed.
func (f *Fake) Fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err, f.panicV = err, nil
}

// Succeed makes later calls succeed (latency still applies).
func (f *Fake) Succeed() { f.Fail(nil) }

// SetLatency makes later calls take d, returning early with ctx's error if
// ctx ends first.
func (f *Fake) SetLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = d
}

// Panic makes later calls panic with v.
func (f *Fake) Panic(v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.panicV = v
}

// Hang makes later calls block, ignoring their context, until Release.
func (f *Fake) Hang() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hang == nil {
		f.hang = make(chan struct{})
	}
}

// Release lets every hanging call return and stops hanging. It is safe to
// call when not hanging.
func (f *Fake) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hang != nil {
		close(f.hang)
		f.hang = nil
	}
}

// Calls returns how many times Check has been called.
func (f *Fake) Calls() int64 { return f.calls.Load() }
