package core

import (
	"errors"
	"fmt"
	"reflect"
)

// Everything a user hands the registry is untrusted code: a check function,
// the methods of the error it returns, an observer, a shutdown hook. Each
// call of it is contained here. A call can end in four ways, and the caller
// must survive each:
//
//   - it returns;
//   - it panics: recovered, and turned into a failure with a reason;
//   - it calls runtime.Goexit (t.FailNow, testify's require): nothing can
//     stop that, the goroutine unwinds through its deferred calls and ends,
//     so the caller finishes its work in a deferred call (see protect) and
//     makes sure the goroutine that ends is one it can spare;
//   - it never returns: only the goroutine that made the call waits, and
//     the registry stops waiting for it at a deadline.
//
// An error is read exactly once, on the goroutine that got it from user
// code: its reason, whether it is degraded and its text are kept in a
// userError, so that recording, responses (ExposeErrors too), observers and
// logs never call a user's method again.

// protect calls fn and recovers a panic, returning its value. If fn calls
// runtime.Goexit, protect calls exited while the goroutine unwinds and never
// returns: exited is the caller's last chance to finish its work.
//
// Two frames, because a Goexit is not always over when a panic is
// recovered: a deferred call of fn may panic while Goexit unwinds, and once
// recovered, Goexit resumes. recovering recovers; the frame above it sees
// whether recovering returned, and calls exited if not. (Since Go 1.21,
// recover returns a *runtime.PanicNilError for panic(nil), so a nil recover
// means no panic.)
func protect(fn, exited func()) (v any, panicked bool) {
	returned := false
	defer func() {
		if !returned {
			exited()
		}
	}()
	v, panicked = recovering(fn)
	returned = true
	return v, panicked
}

// recovering calls fn and recovers a panic, returning its value.
func recovering(fn func()) (v any, panicked bool) {
	returned := false
	defer func() {
		if !returned {
			v = recover()
			panicked = v != nil
		}
	}()
	fn()
	returned = true
	return nil, false
}

// userError is an error that came out of user code, as read once under
// containment. Its methods never call user code: Error returns the text
// read then, and Unwrap the user's error (unless reading it failed), so that
// errors.Is and errors.As in the user's own code still reach it.
type userError struct {
	err      error  // the user's error; nil when it could not be read
	text     string // err.Error(), or why it could not be read
	reason   string // Reason(err), or why it could not be read
	degraded bool   // err holds a *CheckError marked Degraded
}

func (e *userError) Error() string { return e.text }

func (e *userError) Unwrap() error { return e.err }

// describe returns the reason of an error the registry records and whether
// it is degraded, without calling user code: a user's error has been read
// into a userError already; the others are the registry's own.
func describe(err error) (reason string, degraded bool) {
	if u, ok := err.(*userError); ok { //nolint:errorlint // only this package makes a *userError, never wrapped; errors.As would run user code (Unwrap, As), which describe must not
		return u.reason, u.degraded
	}
	return Reason(err), false
}

// exitedError is the failure of a call of user code (who: "check", "hook")
// that called runtime.Goexit.
func exitedError(who string) *userError {
	return &userError{
		reason: who + " called runtime.Goexit",
		text:   who + " called runtime.Goexit (t.FailNow or testify's require outside the test's goroutine?)",
	}
}

// readError reads err, returned by user code (who: "check", "hook"), once:
// its Reason, whether it is degraded, and its text. A panic in its methods
// (a nil *T returned as an error, typically) makes a userError that says so
// instead. If a method calls runtime.Goexit, readError calls exited with the
// failure to record and never returns. err must not be nil.
func readError(who string, err error, exited func(*userError)) *userError {
	u := &userError{err: err}
	v, panicked := protect(func() {
		u.reason = Reason(err)
		var ce *CheckError
		u.degraded = errors.As(err, &ce) && ce.Degraded
		u.text = err.Error()
	}, func() {
		exited(unreadable(who, err, "called runtime.Goexit", ""))
	})
	if !panicked {
		return u
	}
	// The panic value may be the user's too: fmt turns panics in its
	// methods into text, protect whatever else they do.
	detail := ""
	protect(func() { detail = fmt.Sprint(v) }, func() {
		exited(unreadable(who, err, "panicked", ""))
	})
	return unreadable(who, err, "panicked", detail)
}

// unreadable is the failure recorded for err, returned by user code, whose
// methods panicked or called runtime.Goexit (what). The reason names err's
// type, never its contents; detail, the panic value, is in the text only:
//
//	check returned a nil *db.Error (its methods panicked: runtime error: ...)
//	check's error panicked (a db.Error: ...)
func unreadable(who string, err error, what, detail string) *userError {
	typ := fmt.Sprintf("%T", err) // reflection only: calls no method of err
	if detail != "" {
		detail = ": " + detail
	}
	if isNil(err) {
		reason := who + " returned a nil " + typ
		return &userError{reason: reason, text: reason + " (its methods " + what + detail + ")"}
	}
	reason := who + "'s error " + what
	return &userError{reason: reason, text: reason + " (a " + typ + detail + ")"}
}

// isNil reports whether err is a typed nil: a nil pointer (or map, slice,
// func, chan) in a non-nil error interface.
func isNil(err error) bool {
	v := reflect.ValueOf(err)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return v.IsNil()
	}
	return false
}

// elsewhere runs fn on a goroutine of its own and waits for it, so that user
// code in fn that calls runtime.Goexit ends that goroutine, not the
// caller's: a probe's request, a scheduler, Shutdown. It waits until fn
// ends or stop is closed, whichever comes first (a nil stop: until fn
// ends), and reports whether fn ended: user code that never returns then
// keeps only fn's goroutine, never the caller.
func elsewhere(fn func(), stop <-chan struct{}) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
		return true
	case <-stop:
		return false
	}
}
