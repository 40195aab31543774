package checks

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/probekit/probekit/core"
)

// RedisOptions configures [Redis]. The zero value is ready to use: plain TCP,
// no authentication.
type RedisOptions struct {
	// Name labels the server in failure reasons, followed by its address:
	// "cache 10.0.0.7:6379: timeout after 800ms". Default: "redis".
	// A name that looks like a connection string ("@", "=" or "://"),
	// holds a control character or is longer than 128 bytes is an error:
	// reasons are shown to anyone who can reach a probe.
	Name string

	// Username selects an ACL user (Redis 6 and later) for AUTH. It requires
	// Password. Default: none, which authenticates the default user.
	Username string

	// Password, when set, is sent with AUTH before PING. It never appears in
	// a failure reason or error, not even the server's reply to it.
	Password string

	// TLS, when non-nil, wraps the connection in TLS configured by it.
	// ServerName defaults to the host of addr. Each run opens a new
	// connection, so each run pays for a handshake. The configuration is
	// cloned: later changes to it have no effect.
	TLS *tls.Config
}

// maxRedisReply bounds a reply line. PONG and OK are a few bytes and Redis's
// error lines are short: anything longer is not a Redis server answering
// PING, and the check must not buffer whatever it sends.
const maxRedisReply = 512

// Redis returns a check that connects to the Redis server at addr
// ("host:port"), optionally authenticates and switches to TLS, sends PING
// and expects +PONG. It speaks RESP itself: no client library, no pool: each
// run opens and closes one connection, so it proves that new connections
// work. AUTH and PING are pipelined: a run costs one round trip after the
// connection (and TLS handshake) is set up.
//
// The whole exchange is bounded by the context's deadline (or by
// core.DefaultTimeout if it has none) and ends early if the context is
// cancelled. Failures read, for example,
// "redis 127.0.0.1:6379: authentication failed (WRONGPASS)",
// "redis 127.0.0.1:6379: server error (LOADING)" or
// "redis 127.0.0.1:6379: timeout after 800ms".
//
// Redis returns an error if addr is not a valid "host:port" (a host name or
// an IP address, IPv6 in brackets, and a port number in 1-65535), if Name is
// not a valid name, or if Username is set without Password. A redis:// URL
// or an address with user info is refused with an error that does not
// repeat it: pass host:port, and the password in Password.
func Redis(addr string, opts RedisOptions) (core.CheckFunc, error) {
	if err := validateAddr(addr, "pass the password in RedisOptions.Password"); err != nil {
		return nil, fmt.Errorf("checks: Redis: %w", err)
	}
	if err := validateName("RedisOptions.Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: Redis: %w", err)
	}
	if opts.Username != "" && opts.Password == "" {
		return nil, errors.New("checks: Redis: RedisOptions.Username requires RedisOptions.Password")
	}
	r := &redisCheck{
		addr:     addr,
		label:    labelOr(opts.Name, "redis") + " " + addr,
		password: opts.Password,
		request:  redisRequest(opts.Username, opts.Password),
	}
	if opts.TLS != nil {
		r.tls = opts.TLS.Clone()
		if r.tls.ServerName == "" {
			r.tls.ServerName, _, _ = net.SplitHostPort(addr)
		}
	}
	return r.check, nil
}

// redisCheck is the state of one Redis check. It is read-only after
// construction, so concurrent runs share it safely.
type redisCheck struct {
	addr     string
	label    string
	password string      // only for scrubbing server replies
	request  []byte      // [AUTH ...] PING, encoded once
	tls      *tls.Config // nil for plain TCP
	dialer   net.Dialer
}

// redisRequest encodes the pipelined commands as RESP arrays of bulk strings:
// AUTH [username] password (if a password is set), then PING.
func redisRequest(username, password string) []byte {
	var b []byte
	if password != "" {
		args := []string{"AUTH", password}
		if username != "" {
			args = []string{"AUTH", username, password}
		}
		b = append(b, '*')
		b = strconv.AppendInt(b, int64(len(args)), 10)
		b = append(b, "\r\n"...)
		for _, a := range args {
			b = append(b, '$')
			b = strconv.AppendInt(b, int64(len(a)), 10)
			b = append(b, "\r\n"...)
			b = append(b, a...)
			b = append(b, "\r\n"...)
		}
	}
	return append(b, "*1\r\n$4\r\nPING\r\n"...)
}

func (r *redisCheck) check(ctx context.Context) error {
	ctx, cancel, budget := bound(ctx)
	defer cancel()
	if err := r.exchange(ctx); err != nil {
		var re *redisError
		if errors.As(err, &re) {
			return core.Unhealthy(r.label+": "+re.reason, err)
		}
		return failure(ctx, r.label, budget, err)
	}
	return nil
}

// exchange runs one connection: dial, TLS, [AUTH] PING, read the replies.
func (r *redisCheck) exchange(ctx context.Context) error {
	conn, err := r.dialer.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Reads and writes honour ctx: its deadline directly, its cancellation
	// by moving the deadline into the past, which unblocks them at once.
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return err
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if r.tls != nil {
		tc := tls.Client(conn, r.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return err
		}
		conn = tc
	}
	if _, err := conn.Write(r.request); err != nil {
		return err
	}
	return r.readReplies(bufio.NewReaderSize(conn, maxRedisReply))
}

// readReplies reads the replies to the pipelined request: +OK to AUTH (if a
// password is set), then +PONG. It reads whole lines of at most
// maxRedisReply bytes and nothing else (no bulk or aggregate reply is
// parsed, so no length the server sends is ever allocated), and each error
// it returns carries at most a short, escaped excerpt of the server's text.
// br must be at most maxRedisReply bytes large.
func (r *redisCheck) readReplies(br *bufio.Reader) error {
	if r.password != "" {
		line, err := r.readLine(br)
		if err != nil {
			return err
		}
		if !bytes.Equal(line, []byte("+OK")) {
			return r.replyError("AUTH", line, "authentication failed")
		}
	}
	line, err := r.readLine(br)
	if err != nil {
		return err
	}
	if !bytes.Equal(line, []byte("+PONG")) {
		return r.replyError("PING", line, "server error")
	}
	return nil
}

// readLine reads one reply line, without its CRLF, of at most maxRedisReply
// bytes. The returned slice is valid until the next read.
func (r *redisCheck) readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, &redisError{reason: "unexpected reply (not Redis?)",
			detail: fmt.Sprintf("reply line longer than %d bytes", maxRedisReply)}
	case err != nil:
		return nil, err
	}
	return bytes.TrimSuffix(line[:len(line)-1], []byte("\r")), nil
}

// replyError turns a reply other than the expected one into a redisError.
// A Redis error reply ("-WRONGPASS invalid username-password pair") is
// reported by its code; anything else is not a Redis answer.
func (r *redisCheck) replyError(cmd string, line []byte, what string) error {
	text := r.scrub(string(line))
	if !strings.HasPrefix(text, "-") {
		return &redisError{reason: "unexpected reply (not Redis?)",
			detail: cmd + ": unexpected reply " + r.scrub(quote(text, 64))}
	}
	code, _, _ := strings.Cut(text[1:], " ")
	if code == "NOAUTH" {
		what = "authentication required"
	}
	if !validCode(code) {
		code = "ERR"
	}
	return &redisError{reason: what + " (" + code + ")", detail: cmd + ": " + r.scrub(quote(text, 128))}
}

// scrub replaces the password in s. Redis never echoes the password, but
// whatever answers on this port might, and the reply goes into an error that
// logs may show. It runs on the raw reply and again on the quoted excerpt,
// whose escapes could spell a password that holds a backslash.
func (r *redisCheck) scrub(s string) string {
	if r.password == "" {
		return s
	}
	return strings.ReplaceAll(s, r.password, "[redacted]")
}

// validCode reports whether s looks like a Redis error code (upper-case
// letters, at most 32), which makes it safe to show in a reason.
func validCode(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// redisError is a protocol-level failure: the server answered, but not with
// what the check expects. reason is safe to show; detail holds the server's
// (scrubbed, shortened) reply.
type redisError struct {
	reason string
	detail string
}

func (e *redisError) Error() string { return "redis: " + e.detail }
