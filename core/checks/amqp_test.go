package checks_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

// amqpFrame encodes a frame of type typ on channel 0.
func amqpFrame(typ byte, payload []byte) []byte {
	b := []byte{typ, 0, 0}
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	b = append(b, payload...)
	return append(b, 0xCE)
}

// amqpMethod encodes a Connection method frame (class 10).
func amqpMethod(method uint16, args ...[]byte) []byte {
	p := []byte{0, 10}
	p = binary.BigEndian.AppendUint16(p, method)
	for _, a := range args {
		p = append(p, a...)
	}
	return amqpFrame(1, p)
}

func shortStr(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func longStr(s string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...)
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// amqpStart is RabbitMQ's Connection.Start, with an empty property table.
func amqpStart(mechanisms string) []byte {
	return amqpMethod(10, []byte{0, 9}, longStr(""), longStr(mechanisms), longStr("en_US"))
}

var amqpTune = amqpMethod(30, u16(2047), binary.BigEndian.AppendUint32(nil, 131072), u16(60))

func amqpCloseMethod(code uint16, text string) []byte {
	return amqpMethod(50, u16(code), shortStr(text), u16(0), u16(0))
}

// readFrameMethod reads a frame and returns its method id and arguments.
func readFrameMethod(br *bufio.Reader) (uint16, []byte, error) {
	var head [7]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return 0, nil, err
	}
	payload := make([]byte, binary.BigEndian.Uint32(head[3:])+1)
	if _, err := io.ReadFull(br, payload); err != nil {
		return 0, nil, err
	}
	return binary.BigEndian.Uint16(payload[2:]), payload[4 : len(payload)-1], nil
}

// rabbit is a fake AMQP 0-9-1 server that knows the user "app" with
// testPassword and the vhosts "/" and "orders".
type rabbit struct {
	start       []byte // Connection.Start; default amqpStart("AMQPLAIN PLAIN")
	closeOnDeny bool   // refuse a login by closing the socket, not with Close 403
	beforeTune  []byte // sent before Tune (heartbeats)
}

func (r rabbit) handle(c net.Conn) {
	br := bufio.NewReader(c)
	var header [8]byte
	if _, err := io.ReadFull(br, header[:]); err != nil || string(header[:]) != "AMQP\x00\x00\x09\x01" {
		return
	}
	start := r.start
	if start == nil {
		start = amqpStart("AMQPLAIN PLAIN")
	}
	if _, err := c.Write(start); err != nil {
		return
	}
	method, args, err := readFrameMethod(br)
	if err != nil || method != 11 {
		return
	}
	if !bytes.Contains(args, []byte("\x00app\x00"+testPassword)) &&
		!bytes.Contains(args, []byte("\x00guest\x00guest")) {
		if r.closeOnDeny {
			return
		}
		_, _ = c.Write(amqpCloseMethod(403, "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."))
		_, _, _ = readFrameMethod(br) // Close-Ok
		return
	}
	if _, err := c.Write(append(r.beforeTune, amqpTune...)); err != nil {
		return
	}
	if method, _, err := readFrameMethod(br); err != nil || method != 31 {
		return
	}
	method, args, err = readFrameMethod(br)
	if err != nil || method != 40 || len(args) < 1 || len(args) < 1+int(args[0]) {
		return
	}
	switch vhost := string(args[1 : 1+args[0]]); vhost {
	case "/", "orders":
		_, _ = c.Write(amqpMethod(41, shortStr("")))
	case "secret":
		_, _ = c.Write(amqpCloseMethod(530, "NOT_ALLOWED - access to vhost 'secret' refused for user 'app'"))
		_, _, _ = readFrameMethod(br) // our Close, then Close-Ok
		_, _, _ = readFrameMethod(br)
		return
	default:
		_, _ = c.Write(amqpCloseMethod(530, "NOT_ALLOWED - vhost "+vhost+" not found"))
		_, _, _ = readFrameMethod(br)
		_, _, _ = readFrameMethod(br)
		return
	}
	if method, _, err := readFrameMethod(br); err != nil || method != 50 {
		return
	}
	_, _ = c.Write(amqpMethod(51))
	drain(c)
}

// afterHeader reads the protocol header, then sends reply and drains.
func afterHeader(reply []byte) func(net.Conn) {
	return func(c net.Conn) {
		var header [8]byte
		if _, err := io.ReadFull(c, header[:]); err != nil {
			return
		}
		_, _ = c.Write(reply)
		drain(c)
	}
}

func TestAMQP(t *testing.T) {
	t.Parallel()
	tlsServer, trusted := selfSigned(t)
	app := checks.AMQPOptions{Username: "app", Password: testPassword}
	withVHost := func(o checks.AMQPOptions, vhost string) checks.AMQPOptions { o.VHost = vhost; return o }
	tests := []struct {
		name    string
		tls     *tls.Config // server side
		handle  func(net.Conn)
		addr    string
		opts    checks.AMQPOptions
		timeout time.Duration
		want    string
	}{
		{name: "guest default", handle: rabbit{}.handle},
		{name: "user and vhost", handle: rabbit{}.handle, opts: withVHost(app, "orders")},
		{name: "heartbeats before tune", handle: rabbit{beforeTune: bytes.Repeat(amqpFrame(8, nil), 3)}.handle, opts: app},
		{name: "wrong password", handle: rabbit{}.handle,
			opts: checks.AMQPOptions{Username: "app", Password: "wrong-" + testPassword},
			want: "authentication failed (ACCESS_REFUSED)"},
		{name: "wrong password, socket closed", handle: rabbit{closeOnDeny: true}.handle,
			opts: checks.AMQPOptions{Username: "app", Password: "wrong-" + testPassword},
			want: "authentication failed (connection closed during login)"},
		{name: "unknown vhost", handle: rabbit{}.handle, opts: withVHost(app, "nope"),
			want: "vhost not found (NOT_ALLOWED)"},
		{name: "vhost refused", handle: rabbit{}.handle, opts: withVHost(app, "secret"),
			want: "vhost access refused (NOT_ALLOWED)"},
		{name: "no plain", handle: rabbit{start: amqpStart("EXTERNAL")}.handle,
			want: "server does not offer SASL PLAIN"},
		{name: "other version in start", handle: rabbit{start: amqpMethod(10, []byte{0, 8}, longStr(""), longStr("PLAIN"), longStr(""))}.handle,
			want: "unsupported protocol version"},
		{name: "other protocol header", handle: afterHeader([]byte("AMQP\x01\x01\x00\x0a")),
			want: "unsupported protocol version"},
		{name: "server shutting down", handle: afterHeader(amqpCloseMethod(320, "CONNECTION_FORCED - shutdown")),
			want: "server shutting down (CONNECTION_FORCED)"},
		{name: "unknown close code", handle: afterHeader(amqpCloseMethod(599, "odd")),
			want: "connection closed by server (reply code 599)"},
		{name: "oversized frame", handle: afterHeader([]byte{1, 0, 0, 0x7f, 0xff, 0xff, 0xff}),
			want: "unexpected reply (not AMQP 0-9-1?)"},
		{name: "other channel", handle: afterHeader(append([]byte{1, 0, 1}, amqpStart("PLAIN")[3:]...)),
			want: "unexpected reply (not AMQP 0-9-1?)"},
		{name: "bad frame end", handle: afterHeader(append(amqpStart("PLAIN")[:len(amqpStart("PLAIN"))-1], 0)),
			want: "unexpected reply (not AMQP 0-9-1?)"},
		{name: "truncated start", handle: afterHeader(amqpMethod(10, []byte{0, 9}, []byte{0xff, 0xff, 0xff, 0xff})),
			want: "unexpected reply (not AMQP 0-9-1?)"},
		{name: "other method", handle: afterHeader(amqpMethod(30, u16(0))),
			want: "unexpected reply (not AMQP 0-9-1?)"},
		{name: "only heartbeats", handle: afterHeader(bytes.Repeat(amqpFrame(8, nil), 20)),
			want: "unexpected reply (not AMQP 0-9-1?)"},
		{name: "not amqp", handle: afterHeader([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")),
			want: "unexpected reply (not AMQP 0-9-1?)"},
		{name: "never answers", handle: drain, timeout: 200 * time.Millisecond, want: "timeout"},
		{name: "announces more than it sends", handle: afterHeader([]byte{1, 0, 0, 0, 0, 0x10, 0}),
			timeout: 200 * time.Millisecond, want: "timeout"},
		{name: "cut mid-reply", handle: func(c net.Conn) {
			var header [8]byte
			_, _ = io.ReadFull(c, header[:])
			_, _ = c.Write(amqpStart("PLAIN")[:10])
		}, want: "connection closed"},
		{name: "refused", addr: closedAddr(t), want: "connection refused"},
		{name: "tls", tls: tlsServer, handle: rabbit{}.handle,
			opts: checks.AMQPOptions{TLS: &tls.Config{RootCAs: trusted}}},
		{name: "tls unknown authority", tls: tlsServer, handle: rabbit{}.handle,
			opts: checks.AMQPOptions{TLS: &tls.Config{}},
			want: "tls: certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := tt.addr
			if addr == "" {
				addr = serve(t, tt.tls, tt.handle).Addr()
			}
			check := must(t)(checks.AMQP(addr, tt.opts))
			err := call(check, tt.timeout)
			ce := wantReason(t, err, "amqp "+addr+": ", tt.want)
			if ce == nil {
				return
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestAMQPScrubsEchoedPassword(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil, func(c net.Conn) {
		br := bufio.NewReader(c)
		var header [8]byte
		if _, err := io.ReadFull(br, header[:]); err != nil {
			return
		}
		_, _ = c.Write(amqpStart("PLAIN"))
		_, args, err := readFrameMethod(br)
		if err != nil {
			return
		}
		// The SASL response, credentials and all (the whole Start-Ok
		// would be cut before them).
		_, response, _ := bytes.Cut(args, []byte("PLAIN"))
		_, _ = c.Write(amqpCloseMethod(403, "ACCESS_REFUSED - you sent "+string(response)))
	})
	err := call(must(t)(checks.AMQP(srv.Addr(), checks.AMQPOptions{Username: "app", Password: testPassword})), 0)
	ce := mustFail(t, err)
	if want := "amqp " + srv.Addr() + ": authentication failed (ACCESS_REFUSED)"; ce.Reason != want {
		t.Fatalf("reason = %q, want %q", ce.Reason, want)
	}
	if msg := err.Error(); strings.Contains(msg, testPassword) || !strings.Contains(msg, "[redacted]") {
		t.Fatalf("error = %q, want the echoed password replaced by [redacted]", msg)
	}
}

func TestAMQPOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		opts checks.AMQPOptions
		want string
	}{
		{addr: "amqp://guest:guest@127.0.0.1:5672/", want: "not a URL"},
		{addr: "127.0.0.1:0", want: "port"},
		{addr: "127.0.0.1:5672", opts: checks.AMQPOptions{Name: "amqp://x"}, want: "AMQPOptions.Name"},
		{addr: "127.0.0.1:5672", opts: checks.AMQPOptions{Username: "app"}, want: "AMQPOptions.Username requires AMQPOptions.Password"},
		{addr: "127.0.0.1:5672", opts: checks.AMQPOptions{Password: "pw"}, want: "AMQPOptions.Password requires AMQPOptions.Username"},
		{addr: "127.0.0.1:5672", opts: checks.AMQPOptions{VHost: strings.Repeat("v", 256)}, want: "AMQPOptions.VHost"},
		{addr: "127.0.0.1:5672", opts: checks.AMQPOptions{Username: "a\x00b", Password: "pw"}, want: "AMQPOptions.Username holds a NUL"},
		{addr: "127.0.0.1:5672", opts: checks.AMQPOptions{Username: "app", Password: "p\x00w"}, want: "AMQPOptions.Password holds a NUL"},
	}
	for _, tt := range tests {
		fn, err := checks.AMQP(tt.addr, tt.opts)
		if err == nil || fn != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AMQP(%q, %+v) = %v, want an error containing %q and no check", tt.addr, tt.opts, err, tt.want)
		}
	}
}
