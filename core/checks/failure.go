package checks

import (
	"context"
	"database/sql/driver"
	"errors"
	"net/url"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/probekit/probekit/core"
)

// bound gives a check call its time budget. A context that already has a
// deadline (the registry always sets one) is used as it is; otherwise the
// call is bounded by core.DefaultTimeout, so that a check used on its own
// can never hang. budget is what "timeout after ..." reasons report.
func bound(ctx context.Context) (_ context.Context, cancel context.CancelFunc, budget time.Duration) {
	if dl, ok := ctx.Deadline(); ok {
		return ctx, func() {}, ceilMillis(time.Until(dl))
	}
	ctx, cancel = context.WithTimeout(ctx, core.DefaultTimeout)
	return ctx, cancel, core.DefaultTimeout
}

// ceilMillis rounds d up to a whole millisecond: a check that starts a few
// microseconds after the registry set an 800ms deadline reports "800ms", not
// "799.987ms".
func ceilMillis(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// failure is the error a check returns when talking to the dependency named
// by label failed with err. The reason, which probe responses show, is label
// followed by a classification of err; err itself is kept for logs and for
// Options.ExposeErrors. Callers must make sure that neither label nor err
// holds a secret: see sanitize.
func failure(ctx context.Context, label string, budget time.Duration, err error) error {
	return core.Unhealthy(label+": "+describe(ctx, budget, err), sanitize(err))
}

// describe classifies err into a short, secret-free phrase. A call whose
// deadline has passed is a timeout whatever error the I/O layer made of it
// (a closed connection, a reset): the deadline is the cause. The deadline is
// compared with the clock rather than read from ctx.Err, because a
// connection deadline set to the same instant may fire before the context's
// own timer has run.
func describe(ctx context.Context, budget time.Duration, err error) string {
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return "timeout after " + budget.String()
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return "canceled"
	}
	switch {
	case errors.Is(err, driver.ErrBadConn):
		return "bad connection"
	case errors.Is(err, os.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	return core.Reason(err)
}

// sanitize drops the parts of err that may hold secrets and bounds the
// rest. The URL of a *url.Error goes (its query string may carry a token);
// the operation and the underlying error are kept. The text is then cut to
// maxErrorText bytes: errors may quote what a server sent (net/http quotes a
// malformed status line of up to megabytes), and a server must not be able
// to fill the logs.
func sanitize(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &opError{op: ue.Op, err: ue.Err}
	}
	if msg := err.Error(); len(msg) > maxErrorText {
		return &boundedError{msg: msg[:runeStart(msg, maxErrorText)] + "...", err: err}
	}
	return err
}

// maxErrorText bounds the text of an underlying error that a check keeps.
const maxErrorText = 512

// runeStart returns the largest index <= i at which a rune of s starts, so
// that s[:runeStart(s, i)] does not end in a broken UTF-8 sequence.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// boundedError is an error whose text was cut; errors.Is and errors.As
// still see the whole chain.
type boundedError struct {
	msg string
	err error
}

func (e *boundedError) Error() string { return e.msg }
func (e *boundedError) Unwrap() error { return e.err }

// opError is a *url.Error without its URL.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// quote returns s quoted with every byte outside printable ASCII escaped,
// and cut so that at most n bytes lie between the quotes, for server text
// that ends up in reasons and errors: a misbehaving server must not be able
// to fill logs, nor to send terminal controls or bidirectional overrides to
// whoever reads them. The bound applies to the escaped text, up to four
// times longer than what the server sent, and never splits an escape.
func quote(s string, n int) string {
	b := make([]byte, 0, min(len(s), n)+5)
	b = append(b, '"')
	for i, r := range s {
		size := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, size = utf8.DecodeRuneInString(s[i:])
		}
		esc := strconv.QuoteToASCII(s[i : i+size])
		esc = esc[1 : len(esc)-1]
		if len(b)-1+len(esc) > n {
			return string(append(b, '"')) + "..."
		}
		b = append(b, esc...)
	}
	return string(append(b, '"'))
}
