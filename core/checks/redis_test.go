package checks_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

// readCommand reads one RESP command (an array of bulk strings).
func readCommand(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return nil, fmt.Errorf("not an array: %q", line)
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil {
		return nil, err
	}
	args := make([]string, n)
	for i := range args {
		hdr, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(hdr, "$")))
		if err != nil {
			return nil, err
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:size])
	}
	return args, nil
}

// redisServer answers each command with reply(args); "" closes the
// connection.
func redisServer(reply func(args []string) string) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			args, err := readCommand(br)
			if err != nil {
				return
			}
			r := reply(args)
			if r == "" {
				return
			}
			if _, err := io.WriteString(c, r); err != nil {
				return
			}
		}
	}
}

// pong is a Redis without a password.
func pong(args []string) string {
	if args[0] == "PING" {
		return "+PONG\r\n"
	}
	return "-ERR unknown command '" + args[0] + "'\r\n"
}

// protected is a Redis whose user "app" has the password "s3cret-pw".
func protected(c net.Conn) {
	authed := false
	redisServer(func(args []string) string {
		switch {
		case args[0] == "AUTH" && len(args) == 3 && args[1] == "app" && args[2] == testPassword:
			authed = true
			return "+OK\r\n"
		case args[0] == "AUTH":
			return "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
		case !authed:
			return "-NOAUTH Authentication required.\r\n"
		}
		return pong(args)
	})(c)
}

const testPassword = "s3cret-pw"

var timeoutReason = regexp.MustCompile(`: timeout after \d+ms$`)

func TestRedis(t *testing.T) {
	t.Parallel()
	tlsServer, trusted := selfSigned(t)
	tests := []struct {
		name    string
		tls     *tls.Config // server side
		handle  func(net.Conn)
		addr    string // instead of a server
		opts    checks.RedisOptions
		timeout time.Duration
		want    string // reason after "redis ADDR: "; "" means healthy
	}{
		{name: "pong", handle: redisServer(pong)},
		{name: "auth ok", handle: protected,
			opts: checks.RedisOptions{Username: "app", Password: testPassword}},
		{name: "wrong password", handle: protected,
			opts: checks.RedisOptions{Username: "app", Password: "wrong-" + testPassword},
			want: "authentication failed (WRONGPASS)"},
		{name: "password required", handle: protected,
			want: "authentication required (NOAUTH)"},
		{name: "loading", handle: redisServer(func([]string) string {
			return "-LOADING Redis is loading the dataset in memory\r\n"
		}), want: "server error (LOADING)"},
		{name: "odd error code", handle: redisServer(func([]string) string {
			return "-oops lower case\r\n"
		}), want: "server error (ERR)"},
		{name: "not redis", handle: func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
			drain(c)
		}, want: "unexpected reply (not Redis?)"},
		{name: "endless line", handle: func(c net.Conn) {
			_, _ = io.WriteString(c, "+"+strings.Repeat("x", 64<<10))
			drain(c)
		}, want: "unexpected reply (not Redis?)"},
		{name: "never answers", handle: drain, timeout: 200 * time.Millisecond, want: "timeout"},
		{name: "cut mid-reply", handle: func(c net.Conn) {
			_, _ = readCommand(bufio.NewReader(c))
			_, _ = io.WriteString(c, "+PO") // and close
		}, want: "connection closed"},
		{name: "refused", addr: closedAddr(t), want: "connection refused"},
		{name: "tls", tls: tlsServer, handle: redisServer(pong),
			opts: checks.RedisOptions{TLS: &tls.Config{RootCAs: trusted}}},
		{name: "tls unknown authority", tls: tlsServer, handle: redisServer(pong),
			opts: checks.RedisOptions{TLS: &tls.Config{}},
			want: "tls: certificate signed by unknown authority"},
		{name: "tls to plain server", handle: func(c net.Conn) {
			_, _ = io.WriteString(c, "-ERR unknown command\r\n")
			drain(c)
		}, opts: checks.RedisOptions{TLS: &tls.Config{RootCAs: trusted}},
			want: "tls: server did not answer with TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := tt.addr
			if addr == "" {
				addr = serve(t, tt.tls, tt.handle).Addr()
			}
			check := must(t)(checks.Redis(addr, tt.opts))
			err := call(check, tt.timeout)
			ce := wantReason(t, err, "redis "+addr+": ", tt.want)
			if ce == nil {
				return
			}
			if ce.Degraded {
				t.Error("a failed Redis check must not be merely degraded")
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestRedisScrubsEchoedPassword(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil, redisServer(func(args []string) string {
		return "-ERR you sent " + strings.Join(args, " ") + "\r\n"
	}))
	check := must(t)(checks.Redis(srv.Addr(), checks.RedisOptions{Password: testPassword}))
	err := check(context.Background())
	ce := mustFail(t, err)
	if want := "redis " + srv.Addr() + ": authentication failed (ERR)"; ce.Reason != want {
		t.Fatalf("reason = %q, want %q", ce.Reason, want)
	}
	if msg := err.Error(); strings.Contains(msg, testPassword) || !strings.Contains(msg, "[redacted]") {
		t.Fatalf("error = %q, want the echoed password replaced by [redacted]", msg)
	}
}

func TestRedisStopsOnCancel(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil, drain)
	check := must(t)(checks.Redis(srv.Addr(), checks.RedisOptions{}))
	// A deadline far away: only the cancellation can end the check early.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err := check(ctx)
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Fatalf("check returned %v after cancellation", elapsed)
	}
	if ce := mustFail(t, err); ce.Reason != "redis "+srv.Addr()+": canceled" {
		t.Fatalf("reason = %q, want canceled", ce.Reason)
	}
}

func TestRedisWithoutDeadlineIsBounded(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil, drain)
	check := must(t)(checks.Redis(srv.Addr(), checks.RedisOptions{}))
	err := check(context.Background()) // bounded by core.DefaultTimeout
	if ce := mustFail(t, err); !strings.HasSuffix(ce.Reason, "timeout after 800ms") {
		t.Fatalf("reason = %q, want a timeout after the default 800ms", ce.Reason)
	}
}

func TestRedisOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		opts checks.RedisOptions
		want string
	}{
		{addr: "127.0.0.1", want: "address"},
		{addr: "", want: "address"},
		{addr: "127.0.0.1:", want: "port is not a number in 1-65535"},
		{addr: "127.0.0.1:6379", opts: checks.RedisOptions{Username: "app"}, want: "RedisOptions.Username requires RedisOptions.Password"},
	}
	for _, tt := range tests {
		fn, err := checks.Redis(tt.addr, tt.opts)
		if err == nil || fn != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Redis(%q, %+v) = %v, want an error containing %q and no check", tt.addr, tt.opts, err, tt.want)
		}
	}
}
