package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// describeError words a failed connection or request for an operator:
// refused, timed out, TLS, or the error's own (escaped) text. ctx is the
// probe's context, whose deadline is the timeout.
func describeError(ctx context.Context, err error, timeout time.Duration) string {
	err = unwrapURLError(err)
	var (
		netErr   net.Error
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout(),
		errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("timeout: no answer within %v", timeout)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify):
		return "TLS: " + escape(err.Error())
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// net/http's own words, an errors.New without a type to match.
		return "TLS: the server did not answer with TLS (an http:// server?)"
	}
	return escape(err.Error())
}
