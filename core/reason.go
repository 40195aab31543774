package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// CheckError is an error that carries a reason that is safe to show in probe
// responses, and optionally marks the failure as partial (degraded). Checks
// create it with [Unhealthy] or [Degraded]; the registry reads it with
// errors.As, so it may be wrapped.
type CheckError struct {
	// Reason is shown in responses in place of the raw error text. It must
	// not contain secrets. Example: "redis 127.0.0.1:6379: connection refused".
	Reason string
	// Err is the underlying error, shown only with Options.ExposeErrors.
	Err error
	// Degraded reports the failure as StatusDegraded instead of
	// StatusUnavailable.
	Degraded bool
}

// Error returns the reason followed by the underlying error.
func (e *CheckError) Error() string {
	switch {
	case e.Err == nil:
		return e.Reason
	case e.Reason == "":
		return e.Err.Error()
	}
	return e.Reason + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *CheckError) Unwrap() error { return e.Err }

// Unhealthy returns an error that fails a check with a reason that is safe to
// show in probe responses. err, which may be nil, is kept for logs and
// observers and shown only with Options.ExposeErrors.
func Unhealthy(reason string, err error) error {
	return &CheckError{Reason: reason, Err: err}
}

// Degraded returns an error that reports a check as degraded rather than
// failed: the service works, with less capability. A critical check that
// returns it makes the report degraded, not unavailable.
func Degraded(reason string, err error) error {
	return &CheckError{Reason: reason, Err: err, Degraded: true}
}

// errPanic wraps the value a check panicked with.
type errPanic struct{ v any }

func (e errPanic) Error() string { return fmt.Sprint("panic: ", e.v) }

// errTimeout is the result of a run that outlived its timeout.
var errTimeout = errors.New("timeout")

// errStillRunning is the result of a probe that found the previous run of a
// synchronous check still stuck past its deadline.
var errStillRunning = errors.New("timeout: previous run still in progress")

// Reason returns a short description of err that is safe to show to anyone
// who can reach a probe endpoint: the CheckError reason if err holds one,
// else a classification such as "timeout", "connection refused" or
// "no such host", else "failed". It never returns raw error text.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var ce *CheckError
	if errors.As(err, &ce) && ce.Reason != "" {
		return ce.Reason
	}
	var p errPanic
	switch {
	case errors.As(err, &p):
		return "panic"
	case errors.Is(err, errStillRunning):
		return "timeout (previous run still in progress)"
	case errors.Is(err, errTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return "no such host"
		case dnsErr.IsTimeout:
			return "dns timeout"
		}
		return "dns lookup failed"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	// Drivers often flatten their causes into text. Only the fixed phrase
	// found is returned, never the text around it.
	msg := strings.ToLower(err.Error())
	for _, p := range textReasons {
		if strings.Contains(msg, p.phrase) {
			return p.reason
		}
	}
	return "failed"
}

var textReasons = []struct{ phrase, reason string }{
	{"connection refused", "connection refused"},
	{"connection reset", "connection reset"},
	{"broken pipe", "broken pipe"},
	{"no such host", "no such host"},
	{"i/o timeout", "timeout"},
	{"deadline exceeded", "timeout"},
	{"timed out", "timeout"},
	{"timeout", "timeout"},
	{"too many connections", "too many connections"},
	{"authentication failed", "authentication failed"},
	{"access denied", "authentication failed"},
	{"unexpected eof", "connection closed"},
	{"eof", "connection closed"},
	{"certificate", "tls certificate error"},
	{"tls", "tls error"},
}
