package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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
// else a classification such as "timeout", "connection refused", "no such
// host", "tls: certificate signed by unknown authority" or, for database
// drivers that report a SQLSTATE, "authentication failed", "database does not
// exist" or "undefined table"; else "failed". It never returns raw error text.
//
// err is classified by its type first (through errors.Is and errors.As, so it
// may be wrapped): deadlines, cancellations, system call errors, DNS errors,
// TLS and certificate errors, end of stream, and any error with an
// SQLState() string method (pgx's *pgconn.PgError, lib/pq's *pq.Error). Only
// an error that none of these recognize is classified by its text, and then
// by whole words only: "sslmode is invalid" is not a TLS error.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var ce *CheckError
	if errors.As(err, &ce) && ce.Reason != "" {
		return ce.Reason
	}
	if r := typeReason(err); r != "" {
		return r
	}
	text, ok := safeErrorText(err)
	if !ok {
		return "failed"
	}
	if r := mysqlReason(text); r != "" {
		return r
	}
	// Drivers often flatten their causes into text. Only the fixed phrase
	// found is returned, never the text around it.
	if r := textReason(text); r != "" {
		return r
	}
	return "failed"
}

// typeReason classifies err by the types and sentinel values in its chain,
// or returns "".
func typeReason(err error) string {
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
	}
	// A server's own verdict is the most precise cause there is: a driver
	// that carries one wraps it around whatever the connection did.
	if r := sqlStateReason(err); r != "" {
		return r
	}
	if r := tlsReason(err); r != "" {
		return r
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
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTDOWN), errors.Is(err, syscall.ENETDOWN):
		return "host unreachable"
	case errors.Is(err, syscall.ETIMEDOUT):
		return "timeout"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "address not available"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.ErrClosedPipe), errors.Is(err, net.ErrClosed):
		return "connection closed"
	case errors.Is(err, os.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return ""
}

// tlsReason names the TLS and certificate failures of crypto/tls and
// crypto/x509, or returns "". The phrases are those of the checks package,
// so that a TLS failure reads the same whoever classifies it.
func tlsReason(err error) string {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		roots     x509.SystemRootsError
		insecure  x509.InsecureAlgorithmError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		alert     tls.AlertError
		ech       *tls.ECHRejectionError
		op        *net.OpError
	)
	switch {
	case errors.As(err, &unknownCA):
		return "tls: certificate signed by unknown authority"
	case errors.As(err, &hostname):
		return "tls: certificate is not valid for the host"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "tls: certificate expired or not yet valid"
	case errors.As(err, &roots):
		return "tls: no system root certificates"
	case errors.As(err, &insecure):
		return "tls: certificate uses an insecure algorithm"
	case errors.As(err, &invalid), errors.As(err, &verify), errors.Is(err, x509.ConstraintViolationError{}):
		return "tls: certificate verification failed"
	case errors.As(err, &record):
		return "tls: server did not answer with TLS"
	case errors.As(err, &ech):
		return "tls: encrypted client hello rejected"
	case errors.As(err, &alert):
		return "tls: handshake rejected by server"
	case errors.As(err, &op) && op.Op == "remote error":
		// crypto/tls reports an alert received from the peer this way (its
		// alert type is unexported).
		return "tls: handshake rejected by server"
	case errors.As(err, &op) && op.Op == "local error":
		return "tls: handshake failed"
	}
	return ""
}

// sqlStater is implemented by the errors of database drivers that report
// the server's SQLSTATE: pgx's *pgconn.PgError and lib/pq's *pq.Error.
type sqlStater interface{ SQLState() string }

// sqlStateReason classifies err by the SQLSTATE it carries (PostgreSQL's
// codes, which follow the SQL standard's classes), or returns "".
func sqlStateReason(err error) string {
	var s sqlStater
	if !errors.As(err, &s) {
		return ""
	}
	code, ok := safeSQLState(s)
	if !ok || !validSQLState(code) {
		return ""
	}
	if r, ok := sqlStates[code]; ok {
		return r
	}
	if r, ok := sqlStateClasses[code[:2]]; ok {
		return r + " (SQLSTATE " + code + ")"
	}
	return "database error (SQLSTATE " + code + ")"
}

// safeSQLState calls s.SQLState, which is driver (or user) code, containing
// a panic.
func safeSQLState(s sqlStater) (code string, ok bool) {
	defer func() {
		if recover() != nil {
			code, ok = "", false
		}
	}()
	return s.SQLState(), true
}

// validSQLState reports whether code has the shape of a SQLSTATE (five
// digits or upper-case letters), so that nothing else can reach a reason.
func validSQLState(code string) bool {
	if len(code) != 5 {
		return false
	}
	for i := range len(code) {
		if c := code[i]; (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// sqlStates names the SQLSTATEs a health check meets in practice.
var sqlStates = map[string]string{
	"28000": "authentication failed", // invalid_authorization_specification: unknown role, no pg_hba entry
	"28P01": "authentication failed", // invalid_password
	"3D000": "database does not exist",
	"3F000": "schema does not exist",
	"42P01": "undefined table",
	"42703": "undefined column",
	"42883": "undefined function",
	"42501": "permission denied",
	"42601": "syntax error",
	"25006": "read-only transaction", // a standby, or a primary demoted by a failover
	"53300": "too many connections",
	"53100": "disk full",
	"53200": "out of memory",
	"55P03": "lock not available",
	"57014": "query canceled", // statement_timeout, or pg_cancel_backend
	"57P01": "server shutting down",
	"57P02": "server crashed",
	"57P03": "cannot connect now (starting up)", // also: shutting down, in recovery
	"57P04": "database dropped",
	"40001": "serialization failure",
	"40P01": "deadlock detected",
	"08006": "connection failure",
	"08001": "unable to connect",
	"08004": "connection rejected",
	"0A000": "feature not supported",
}

// sqlStateClasses names the classes of the SQLSTATEs that sqlStates does not.
var sqlStateClasses = map[string]string{
	"08": "connection error",
	"22": "data error",
	"23": "constraint violation",
	"25": "invalid transaction state",
	"28": "authentication failed",
	"3D": "database does not exist",
	"40": "transaction rolled back",
	"42": "query error",
	"53": "insufficient resources",
	"54": "program limit exceeded",
	"55": "object not in prerequisite state",
	"57": "operator intervention",
	"58": "system error",
	"XX": "internal error",
}

// mysqlErrors names the MySQL and MariaDB error numbers a health check
// meets in practice.
var mysqlErrors = map[string]string{
	"1044": "permission denied", // access denied to a database
	"1045": "authentication failed",
	"1698": "authentication failed",
	"1049": "database does not exist",
	"1146": "undefined table",
	"1054": "undefined column",
	"1064": "syntax error",
	"1040": "too many connections",
	"1203": "too many connections", // max_user_connections
	"1053": "server shutting down",
	"1290": "read-only", // --read-only, or another option refusing the statement
	"1142": "permission denied",
	"1227": "permission denied",
}

// mysqlReason classifies the text of a go-sql-driver/mysql error, whose
// *mysql.MySQLError has no methods to ask: its text always begins "Error
// <number> (<SQLSTATE>): ". It returns "" for any other text.
func mysqlReason(text string) string {
	words := wordsOf(text)
	for i := 0; i+2 < len(words); i++ {
		if words[i] != "error" || !digits(words[i+1]) || len(words[i+2]) != 5 {
			continue
		}
		if r, ok := mysqlErrors[words[i+1]]; ok {
			return r
		}
	}
	return ""
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// textReason finds the first of textReasons whose words appear, in order
// and next to each other, among the words of text, or returns "".
func textReason(text string) string {
	words := wordsOf(text)
	for _, p := range textReasons {
		if containsWords(words, p.words) {
			return p.reason
		}
	}
	return ""
}

// wordsOf splits s into lower-case runs of ASCII letters and digits:
// "x509: Certificate" is [x509 certificate], "i/o timeout" is [i o timeout].
func wordsOf(s string) []string {
	var words []string
	start := -1
	for i := 0; i <= len(s); i++ {
		alnum := i < len(s) && isAlnum(s[i])
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			words = append(words, strings.ToLower(s[start:i]))
			start = -1
		}
	}
	return words
}

func containsWords(words, phrase []string) bool {
outer:
	for i := 0; i+len(phrase) <= len(words); i++ {
		for j, w := range phrase {
			if words[i+j] != w {
				continue outer
			}
		}
		return true
	}
	return false
}

// textReasons is tried in order: a more specific phrase comes first.
var textReasons = phrases(
	// pgx: "cannot parse `<dsn>`: failed to configure TLS (sslmode is
	// invalid)" is a configuration error, not a TLS one.
	"cannot parse", "invalid configuration",
	"sslmode is invalid", "invalid configuration",
	"invalid dsn", "invalid configuration", // go-sql-driver/mysql
	"connection refused", "connection refused",
	"connection reset", "connection reset",
	"broken pipe", "broken pipe",
	"no such host", "no such host",
	"i/o timeout", "timeout",
	"deadline exceeded", "timeout",
	"timed out", "timeout",
	"timeout", "timeout",
	"too many connections", "too many connections",
	"too many clients", "too many connections",
	"authentication failed", "authentication failed",
	"access denied", "authentication failed",
	"unexpected eof", "connection closed",
	"eof", "connection closed",
	"certificate", "tls certificate error",
	"x509", "tls certificate error",
	"tls", "tls error",
)

// phrases turns (phrase, reason) pairs into word lists.
func phrases(pairs ...string) []textPhrase {
	out := make([]textPhrase, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, textPhrase{words: wordsOf(pairs[i]), reason: pairs[i+1]})
	}
	return out
}

type textPhrase struct {
	words  []string
	reason string
}
