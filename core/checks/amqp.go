package checks

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/probekit/probekit/core"
)

// AMQPOptions configures [AMQP]. The zero value is ready to use: plain TCP,
// the user guest with the password guest, the virtual host "/", as
// RabbitMQ's defaults and its Go client's.
type AMQPOptions struct {
	// Name labels the server in failure reasons, followed by its address:
	// "rabbitmq 10.0.0.8:5672: vhost not found (NOT_ALLOWED)". Default:
	// "amqp". The same rules as RedisOptions.Name apply.
	Name string

	// Username and Password log in with SASL PLAIN. Each requires the
	// other. Default: guest and guest, which RabbitMQ accepts from
	// loopback only. The password never appears in a reason or error.
	Username string
	Password string

	// VHost is the virtual host opened. Default: "/". At most 255 bytes.
	VHost string

	// TLS, when non-nil, speaks AMQP over TLS (amqps, port 5671 by
	// convention) configured by it. ServerName defaults to the host of
	// addr. The configuration is cloned: later changes have no effect.
	TLS *tls.Config
}

// maxAMQPFrame bounds the payload of a frame the check reads.
// Connection.Start, the largest, carries the server's properties in a few
// hundred bytes; a larger frame is not an AMQP server greeting a client,
// and the check must not allocate whatever size it announces.
const maxAMQPFrame = 64 << 10

// maxAMQPFrames bounds the frames read while waiting for one method: a
// server may send heartbeats in between, but not many.
const maxAMQPFrames = 8

// amqpHeader is the protocol header of AMQP 0-9-1.
var amqpHeader = []byte("AMQP\x00\x00\x09\x01")

// AMQP returns a check that logs in to the AMQP 0-9-1 server (RabbitMQ) at
// addr ("host:port") and opens a virtual host: protocol header,
// Connection.Start → Start-Ok (SASL PLAIN), Connection.Tune → Tune-Ok,
// Connection.Open → Open-Ok, then a clean Connection.Close → Close-Ok. It
// speaks AMQP itself: no client library; each run opens and closes one
// connection and opens no channel. Tune-Ok, Open and Close are pipelined: a
// run costs three round trips after the connection (and TLS handshake) is
// set up, the least the protocol allows.
//
// The whole exchange is bounded by the context's deadline (or by
// core.DefaultTimeout if it has none) and ends early if the context is
// cancelled. A refused login and an unknown or forbidden virtual host are
// distinct reasons:
// "amqp 127.0.0.1:5672: authentication failed (ACCESS_REFUSED)" (or
// "authentication failed (connection closed during login)" from a server
// that closes the socket, as the protocol prescribes),
// "amqp 127.0.0.1:5672: vhost not found (NOT_ALLOWED)",
// "amqp 127.0.0.1:5672: vhost access refused (NOT_ALLOWED)",
// "amqp 127.0.0.1:5672: unsupported protocol version" or
// "amqp 127.0.0.1:5672: timeout after 800ms".
//
// AMQP returns an error naming the field if addr is not a valid
// "host:port" (as for [Redis]; an amqp:// URL or user info is refused with
// an error that does not repeat it), if Name is not a valid name, if only
// one of Username and Password is set, if either holds a NUL byte (SASL
// PLAIN's separator), or if VHost is longer than 255 bytes.
func AMQP(addr string, opts AMQPOptions) (core.CheckFunc, error) {
	if err := validateAddr(addr, "pass credentials in AMQPOptions.Username and Password"); err != nil {
		return nil, fmt.Errorf("checks: AMQP: %w", err)
	}
	if err := validateName("AMQPOptions.Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: AMQP: %w", err)
	}
	switch {
	case opts.Username != "" && opts.Password == "":
		return nil, errors.New("checks: AMQP: AMQPOptions.Username requires AMQPOptions.Password")
	case opts.Password != "" && opts.Username == "":
		return nil, errors.New("checks: AMQP: AMQPOptions.Password requires AMQPOptions.Username")
	case strings.Contains(opts.Username, "\x00"):
		// SASL PLAIN separates the fields with NUL.
		return nil, errors.New("checks: AMQP: AMQPOptions.Username holds a NUL byte")
	case strings.Contains(opts.Password, "\x00"):
		return nil, errors.New("checks: AMQP: AMQPOptions.Password holds a NUL byte")
	case len(opts.VHost) > 255:
		return nil, fmt.Errorf("checks: AMQP: AMQPOptions.VHost is longer than 255 bytes (%d)", len(opts.VHost))
	}
	user, pass := opts.Username, opts.Password
	if user == "" {
		user, pass = "guest", "guest"
	}
	vhost := opts.VHost
	if vhost == "" {
		vhost = "/"
	}
	a := &amqpCheck{
		addr:    addr,
		label:   labelOr(opts.Name, "amqp") + " " + addr,
		tls:     clientTLS(opts.TLS, addr),
		startOk: amqpStartOkFrame(user, pass),
		vhost:   vhost,
	}
	if opts.Password != "" {
		a.scrub = newScrubber(opts.Password)
	}
	return a.check, nil
}

// amqpCheck is the state of one AMQP check. It is read-only after
// construction, so concurrent runs share it safely.
type amqpCheck struct {
	addr    string
	label   string
	tls     *tls.Config // nil for plain TCP
	startOk []byte      // the Connection.Start-Ok frame, encoded once
	vhost   string
	scrub   scrubber
	dialer  net.Dialer
}

// The classes and methods the check speaks: Connection (class 10) only.
const (
	amqpConnection = 10
	amqpStart      = 10
	amqpStartOk    = 11
	amqpTune       = 30
	amqpTuneOk     = 31
	amqpOpen       = 40
	amqpOpenOk     = 41
	amqpClose      = 50
	amqpCloseOk    = 51

	amqpFrameMethod    = 1
	amqpFrameHeartbeat = 8
	amqpFrameEnd       = 0xCE
)

func (a *amqpCheck) check(ctx context.Context) error {
	ctx, cancel, budget := bound(ctx)
	defer cancel()
	if err := a.exchange(ctx); err != nil {
		return protocolFailure(ctx, a.label, budget, err)
	}
	return nil
}

func (a *amqpCheck) exchange(ctx context.Context) error {
	conn, release, err := dialConn(ctx, &a.dialer, a.addr, a.tls)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer release()
	return a.converse(bufio.NewReader(conn), conn)
}

// converse runs the connection's conversation over r and w, once connected.
func (a *amqpCheck) converse(r *bufio.Reader, w io.Writer) error {
	if _, err := w.Write(amqpHeader); err != nil {
		return err
	}
	// A server that does not speak 0-9-1 answers with the header of the
	// version it does speak, and closes.
	if head, err := r.Peek(4); err == nil && string(head) == "AMQP" {
		return &protocolError{proto: "amqp", reason: "unsupported protocol version",
			detail: "server answered with protocol header " + quote(a.peekHeader(r), 32)}
	}
	start, err := a.readMethod(r, "Connection.Start", amqpStart)
	if err != nil {
		return a.closed(err, w, "")
	}
	if err := a.checkStart(start); err != nil {
		return err
	}
	if _, err := w.Write(a.startOk); err != nil {
		return err
	}
	tune, err := a.readMethod(r, "Connection.Tune", amqpTune)
	if err != nil {
		// The protocol's own way to refuse a login: close the socket.
		if errors.Is(err, io.EOF) {
			return &protocolError{proto: "amqp", reason: "authentication failed (connection closed during login)",
				detail: "the server closed the connection after Connection.Start-Ok"}
		}
		return a.closed(err, w, "authentication failed")
	}
	if len(tune) != 8 {
		return a.malformed("Connection.Tune", "arguments of %d bytes, want 8", len(tune))
	}
	// Tune-Ok, Open and Close in one write: the server handles them in
	// order, answering Open-Ok then Close-Ok.
	var out []byte
	out = amqpTuneOkFrame(out, tune)
	out = amqpOpenFrame(out, a.vhost)
	out = amqpCloseFrame(out)
	if _, err := w.Write(out); err != nil {
		return err
	}
	if _, err := a.readMethod(r, "Connection.Open-Ok", amqpOpenOk); err != nil {
		return a.closed(err, w, "vhost")
	}
	if _, err := a.readMethod(r, "Connection.Close-Ok", amqpCloseOk); err != nil {
		return a.closed(err, w, "")
	}
	return nil
}

// peekHeader returns the protocol header a server answered with.
func (a *amqpCheck) peekHeader(r *bufio.Reader) string {
	head, _ := r.Peek(len(amqpHeader))
	return string(head)
}

// checkStart checks Connection.Start: version 0-9 and SASL PLAIN offered.
func (a *amqpCheck) checkStart(args []byte) error {
	p := amqpParser{b: args}
	major, minor := p.octet(), p.octet()
	p.table() // server-properties
	mechanisms := p.longString()
	p.longString() // locales
	if p.err != nil {
		return a.malformed("Connection.Start", "%v", p.err)
	}
	if major != 0 || minor != 9 {
		return &protocolError{proto: "amqp", reason: "unsupported protocol version",
			detail: fmt.Sprintf("Connection.Start: version %d-%d, want 0-9", major, minor)}
	}
	for _, m := range strings.Fields(string(mechanisms)) {
		if m == "PLAIN" {
			return nil
		}
	}
	return &protocolError{proto: "amqp", reason: "server does not offer SASL PLAIN",
		detail: "Connection.Start: mechanisms " + quote(string(mechanisms), 64)}
}

// amqpCloseReply is a Connection.Close the server sent instead of the
// method the check waited for.
type amqpCloseReply struct {
	code uint16
	text string
}

func (e *amqpCloseReply) Error() string { return "connection closed by server" }

// closed turns the error of waiting for a method into a protocolError. A
// Connection.Close from the server is answered with Close-Ok (a clean
// goodbye) and reported by its reply code; phase selects the wording of a
// refusal: "authentication failed" after Start-Ok, "vhost" after Open.
func (a *amqpCheck) closed(err error, w io.Writer, phase string) error {
	var c *amqpCloseReply
	if !errors.As(err, &c) {
		return err
	}
	_, _ = w.Write(amqpMethodFrame(nil, amqpCloseOk, nil))
	name := amqpReplyCodes[c.code]
	code := name
	if name == "" {
		code = fmt.Sprintf("reply code %d", c.code)
	}
	reason := "connection closed by server (" + code + ")"
	switch {
	case phase == "authentication failed" && (c.code == 403 || c.code == 530):
		reason = "authentication failed (" + code + ")"
	case phase == "vhost" && c.code == 530 && strings.Contains(strings.ToLower(c.text), "not found"):
		reason = "vhost not found (" + code + ")"
	case phase == "vhost" && (c.code == 530 || c.code == 403):
		reason = "vhost access refused (" + code + ")"
	case c.code == 320:
		reason = "server shutting down (" + code + ")"
	case c.code == 541:
		reason = "server error (" + code + ")"
	}
	return &protocolError{proto: "amqp", reason: reason,
		detail: fmt.Sprintf("Connection.Close %d %s", c.code, a.scrub.excerpt(c.text, 128))}
}

// amqpReplyCodes names the reply codes of AMQP 0-9-1 a connection meets.
var amqpReplyCodes = map[uint16]string{
	320: "CONNECTION_FORCED",
	402: "INVALID_PATH",
	403: "ACCESS_REFUSED",
	501: "FRAME_ERROR",
	502: "SYNTAX_ERROR",
	503: "COMMAND_INVALID",
	504: "CHANNEL_ERROR",
	505: "UNEXPECTED_FRAME",
	506: "RESOURCE_ERROR",
	530: "NOT_ALLOWED",
	540: "NOT_IMPLEMENTED",
	541: "INTERNAL_ERROR",
}

// readMethod reads frames until a Connection method on channel 0 and
// returns its arguments when it is the method wanted. Heartbeats are
// skipped; a Connection.Close is returned as an *amqpCloseReply; anything
// else is a protocolError.
func (a *amqpCheck) readMethod(r *bufio.Reader, name string, method uint16) ([]byte, error) {
	for range maxAMQPFrames {
		typ, payload, err := readAMQPFrame(r)
		if err != nil {
			return nil, a.frameError(name, err)
		}
		if typ == amqpFrameHeartbeat {
			continue
		}
		if typ != amqpFrameMethod || len(payload) < 4 {
			return nil, a.malformed(name, "frame of type %d and %d bytes, want a method", typ, len(payload))
		}
		class, got := binary.BigEndian.Uint16(payload), binary.BigEndian.Uint16(payload[2:])
		args := payload[4:]
		switch {
		case class == amqpConnection && got == method:
			return args, nil
		case class == amqpConnection && got == amqpClose:
			p := amqpParser{b: args}
			code, text := p.short(), p.shortString()
			if p.err != nil {
				return nil, a.malformed("Connection.Close", "%v", p.err)
			}
			return nil, &amqpCloseReply{code: code, text: string(text)}
		}
		return nil, a.malformed(name, "method %d.%d", class, got)
	}
	return nil, a.malformed(name, "no method in %d frames", maxAMQPFrames)
}

// frameError turns a frame-level read error into the check's error: an I/O
// error stays as it is, a malformed frame becomes a protocolError.
func (a *amqpCheck) frameError(name string, err error) error {
	var fe *amqpFrameError
	if errors.As(err, &fe) {
		return a.malformed(name, "%s", fe.msg)
	}
	return err
}

// malformed is the protocolError of a frame or method that is not what
// AMQP 0-9-1 sends at this point.
func (a *amqpCheck) malformed(name, format string, args ...any) error {
	return &protocolError{proto: "amqp", reason: "unexpected reply (not AMQP 0-9-1?)",
		detail: "waiting for " + name + ": " + fmt.Sprintf(format, args...)}
}

// amqpFrameError is a frame that breaks the framing rules.
type amqpFrameError struct{ msg string }

func (e *amqpFrameError) Error() string { return e.msg }

// readAMQPFrame reads one frame: type, channel, size, payload, frame end.
// Only frames on channel 0 belong to the connection; the payload is at most
// maxAMQPFrame bytes, and allocated only once its size is known to be
// within that bound.
func readAMQPFrame(r *bufio.Reader) (typ byte, payload []byte, err error) {
	var head [7]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	typ = head[0]
	channel := binary.BigEndian.Uint16(head[1:])
	size := binary.BigEndian.Uint32(head[3:])
	switch {
	case channel != 0:
		return 0, nil, &amqpFrameError{fmt.Sprintf("frame on channel %d, want 0", channel)}
	case size > maxAMQPFrame:
		return 0, nil, &amqpFrameError{fmt.Sprintf("frame of %d bytes, more than %d", size, maxAMQPFrame)}
	}
	payload = make([]byte, size+1)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	if payload[size] != amqpFrameEnd {
		return 0, nil, &amqpFrameError{fmt.Sprintf("frame end %#x, want 0xce", payload[size])}
	}
	return typ, payload[:size], nil
}

// amqpParser reads AMQP field types from b; the first error sticks and
// every later read returns zero values.
type amqpParser struct {
	b   []byte
	err error
}

func (p *amqpParser) take(n int) []byte {
	if p.err != nil {
		return nil
	}
	if n < 0 || n > len(p.b) {
		p.err = errors.New("arguments end early")
		return nil
	}
	v := p.b[:n]
	p.b = p.b[n:]
	return v
}

func (p *amqpParser) octet() byte {
	if v := p.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (p *amqpParser) short() uint16 {
	if v := p.take(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (p *amqpParser) long() uint32 {
	if v := p.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (p *amqpParser) shortString() []byte { return p.take(int(p.octet())) }

// longString and table share their encoding: a 32-bit length and bytes.
// The length is checked against what is left, never allocated.
func (p *amqpParser) longString() []byte {
	n := p.long()
	if p.err == nil && n > uint32(len(p.b)) {
		p.err = errors.New("arguments end early")
		return nil
	}
	return p.take(int(n))
}

func (p *amqpParser) table() { p.longString() }

// amqpStartOkFrame encodes the Connection.Start-Ok frame: client properties
// (product, and the capability that makes RabbitMQ report a refused login
// with Connection.Close 403 rather than by closing the socket), SASL PLAIN
// with the credentials, locale en_US.
func amqpStartOkFrame(user, pass string) []byte {
	var props []byte
	props = amqpTableString(props, "product", "probekit")
	var caps []byte
	caps = amqpShortString(caps, "authentication_failure_close")
	caps = append(caps, 't', 1)
	props = amqpShortString(props, "capabilities")
	props = append(props, 'F')
	props = binary.BigEndian.AppendUint32(props, uint32(len(caps)))
	props = append(props, caps...)

	var args []byte
	args = binary.BigEndian.AppendUint32(args, uint32(len(props)))
	args = append(args, props...)
	args = amqpShortString(args, "PLAIN")
	response := "\x00" + user + "\x00" + pass
	args = binary.BigEndian.AppendUint32(args, uint32(len(response)))
	args = append(args, response...)
	args = amqpShortString(args, "en_US")
	return amqpMethodFrame(nil, amqpStartOk, args)
}

// amqpTuneOkFrame appends Tune-Ok, accepting the server's channel-max and
// frame-max and turning heartbeats off: a run lasts less than a heartbeat.
func amqpTuneOkFrame(b, tune []byte) []byte {
	args := make([]byte, 0, 8)
	args = append(args, tune[:6]...) // channel-max, frame-max
	if binary.BigEndian.Uint32(tune[2:6]) == 0 {
		// No limit from the server: announce the protocol's usual one.
		args = binary.BigEndian.AppendUint32(args[:2], 131072)
	}
	args = append(args, 0, 0) // heartbeat off
	return amqpMethodFrame(b, amqpTuneOk, args)
}

// amqpOpenFrame appends Connection.Open of vhost.
func amqpOpenFrame(b []byte, vhost string) []byte {
	var args []byte
	args = amqpShortString(args, vhost)
	args = amqpShortString(args, "") // reserved-1 (capabilities)
	args = append(args, 0)           // reserved-2 (insist)
	return amqpMethodFrame(b, amqpOpen, args)
}

// amqpCloseFrame appends a client's Connection.Close: 200, no failure.
func amqpCloseFrame(b []byte) []byte {
	var args []byte
	args = binary.BigEndian.AppendUint16(args, 200)
	args = amqpShortString(args, "health check done")
	args = append(args, 0, 0, 0, 0) // class and method: none
	return amqpMethodFrame(b, amqpClose, args)
}

// amqpMethodFrame appends a method frame of class Connection on channel 0.
func amqpMethodFrame(b []byte, method uint16, args []byte) []byte {
	b = append(b, amqpFrameMethod, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(args)))
	b = binary.BigEndian.AppendUint16(b, amqpConnection)
	b = binary.BigEndian.AppendUint16(b, method)
	b = append(b, args...)
	return append(b, amqpFrameEnd)
}

func amqpShortString(b []byte, s string) []byte {
	return append(append(b, byte(len(s))), s...)
}

// amqpTableString appends a table entry holding a long string.
func amqpTableString(b []byte, key, value string) []byte {
	b = amqpShortString(b, key)
	b = append(b, 'S')
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	return append(b, value...)
}
