package checks

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/probekit/probekit/core"
)

// MQTTVersion is an MQTT protocol level, as CONNECT carries it.
type MQTTVersion byte

// The protocol versions [MQTT] speaks.
const (
	// MQTT311 is MQTT 3.1.1 (protocol level 4), the default.
	MQTT311 MQTTVersion = 4
	// MQTT5 is MQTT 5.0 (protocol level 5).
	MQTT5 MQTTVersion = 5
)

// MQTTOptions configures [MQTT]. The zero value is ready to use: MQTT
// 3.1.1 over plain TCP, no credentials.
type MQTTOptions struct {
	// Name labels the broker in failure reasons, followed by its address:
	// "broker 10.0.0.6:1883: not authorized (CONNACK 5)". Default: "mqtt".
	// The same rules as RedisOptions.Name apply.
	Name string

	// Version is the protocol spoken: MQTT311 (the default) or MQTT5.
	Version MQTTVersion

	// ClientIDPrefix starts the client identifier of each run, which ends
	// in 12 random hexadecimal digits, so that no run takes over another
	// client's session (a broker disconnects the older of two connections
	// with one identifier). Default: "probekit", which with the digits
	// stays within the 23 letters and digits every broker must accept. At
	// most 64 bytes of printable ASCII.
	ClientIDPrefix string

	// Username and Password, when set, are sent in CONNECT. In MQTT 3.1.1,
	// Password requires Username; in MQTT 5 it may come alone. Username
	// is a string, well-formed UTF-8 without U+0000; Password is binary
	// data. The password never appears in a reason or error.
	Username string
	Password string

	// TLS, when non-nil, speaks MQTT over TLS (port 8883 by convention)
	// configured by it. ServerName defaults to the host of addr. The
	// configuration is cloned: later changes have no effect.
	TLS *tls.Config
}

// maxMQTTPacket bounds the CONNACK the check reads. A 3.1.1 CONNACK is 4
// bytes; an MQTT 5 one adds properties, a reason string and user
// properties among them, in far less than this.
const maxMQTTPacket = 4 << 10

// mqttKeepAlive is the keep-alive CONNECT announces, in seconds. The
// connection lasts one round trip, but some brokers refuse 0 (no
// keep-alive) from MQTT 3.1.1 clients.
const mqttKeepAlive = 60

// MQTT returns a check that connects to the MQTT broker at addr
// ("host:port"): CONNECT with a fresh client identifier and a clean
// session (Clean Start in MQTT 5, whose session then ends with the
// connection), CONNACK, then a clean DISCONNECT. It speaks MQTT itself: no
// client library; each run opens and closes one connection and subscribes
// to nothing. A run costs one round trip after the connection (and TLS
// handshake) is set up.
//
// The whole exchange is bounded by the context's deadline (or by
// core.DefaultTimeout if it has none) and ends early if the context is
// cancelled. A CONNACK that refuses the connection is reported by its
// return code (3.1.1) or reason code (5):
// "mqtt 127.0.0.1:1883: bad username or password (CONNACK 4)",
// "mqtt 127.0.0.1:1883: not authorized (CONNACK 0x87)",
// "mqtt 127.0.0.1:1883: server unavailable (CONNACK 3)",
// "mqtt 127.0.0.1:1883: unsupported protocol version (CONNACK 1)" or
// "mqtt 127.0.0.1:1883: timeout after 800ms".
//
// MQTT returns an error naming the field if addr is not a valid
// "host:port" (as for [Redis]; an mqtt:// URL or user info is refused with
// an error that does not repeat it), if Name is not a valid name, if
// Version is neither MQTT311 nor MQTT5, if ClientIDPrefix is not printable
// ASCII of at most 64 bytes, if Password is set without Username in
// MQTT 3.1.1, if Username or Password is longer than 65535 bytes, or if
// Username is not well-formed UTF-8 or holds U+0000 (MQTT forbids both).
func MQTT(addr string, opts MQTTOptions) (core.CheckFunc, error) {
	if err := validateAddr(addr, "pass credentials in MQTTOptions.Username and Password"); err != nil {
		return nil, fmt.Errorf("checks: MQTT: %w", err)
	}
	if err := validateName("MQTTOptions.Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: MQTT: %w", err)
	}
	version := opts.Version
	if version == 0 {
		version = MQTT311
	}
	if version != MQTT311 && version != MQTT5 {
		return nil, fmt.Errorf("checks: MQTT: MQTTOptions.Version is %d, want checks.MQTT311 (4) or checks.MQTT5 (5)", opts.Version)
	}
	prefix := opts.ClientIDPrefix
	if prefix == "" {
		prefix = "probekit"
	}
	if err := validateClientIDPrefix(prefix); err != nil {
		return nil, fmt.Errorf("checks: MQTT: MQTTOptions.ClientIDPrefix %w", err)
	}
	if version == MQTT311 && opts.Password != "" && opts.Username == "" {
		return nil, errors.New("checks: MQTT: MQTTOptions.Password requires MQTTOptions.Username in MQTT 3.1.1")
	}
	// CONNECT carries each string with a 16-bit length.
	if len(opts.Username) > 65535 {
		return nil, fmt.Errorf("checks: MQTT: MQTTOptions.Username is longer than 65535 bytes (%d)", len(opts.Username))
	}
	if len(opts.Password) > 65535 {
		return nil, fmt.Errorf("checks: MQTT: MQTTOptions.Password is longer than 65535 bytes (%d)", len(opts.Password))
	}
	// A broker closes the connection on a string that is not well-formed
	// UTF-8 or holds U+0000 (MQTT 3.1.1 section 1.5.3, MQTT 5 section
	// 1.5.4), which would read as a network fault. The password is binary
	// data.
	if !utf8.ValidString(opts.Username) || strings.ContainsRune(opts.Username, 0) {
		return nil, errors.New("checks: MQTT: MQTTOptions.Username is not well-formed UTF-8 without U+0000, as MQTT requires")
	}
	return (&mqttCheck{
		addr:     addr,
		label:    labelOr(opts.Name, "mqtt") + " " + addr,
		version:  version,
		prefix:   prefix,
		username: opts.Username,
		password: opts.Password,
		tls:      clientTLS(opts.TLS, addr),
		scrub:    newScrubber(opts.Password),
	}).check, nil
}

// validateClientIDPrefix reports whether p is printable ASCII of at most
// 64 bytes; the error does not repeat it.
func validateClientIDPrefix(p string) error {
	if len(p) > 64 {
		return fmt.Errorf("is longer than 64 bytes (%d)", len(p))
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] > '~' {
			return errors.New("holds a byte other than printable ASCII (no spaces)")
		}
	}
	return nil
}

// mqttCheck is the state of one MQTT check. It is read-only after
// construction, so concurrent runs share it safely.
type mqttCheck struct {
	addr               string
	label              string
	version            MQTTVersion
	prefix             string
	username, password string
	tls                *tls.Config // nil for plain TCP
	scrub              scrubber
	dialer             net.Dialer
}

func (m *mqttCheck) check(ctx context.Context) error {
	ctx, cancel, budget := bound(ctx)
	defer cancel()
	if err := m.exchange(ctx); err != nil {
		return protocolFailure(ctx, m.label, budget, err)
	}
	return nil
}

func (m *mqttCheck) exchange(ctx context.Context) error {
	var suffix [6]byte
	_, _ = rand.Read(suffix[:]) // never fails (crypto/rand)
	clientID := m.prefix + hex.EncodeToString(suffix[:])

	conn, release, err := dialConn(ctx, &m.dialer, m.addr, m.tls)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer release()
	if _, err := conn.Write(mqttConnect(m.version, clientID, m.username, m.password)); err != nil {
		return err
	}
	if err := m.readConnack(bufio.NewReaderSize(conn, 64)); err != nil {
		return err
	}
	// DISCONNECT with no reason code: a normal disconnection in both
	// versions; the broker drops the session and sends no will.
	_, err = conn.Write([]byte{0xE0, 0})
	return err
}

// mqttConnect encodes CONNECT: protocol name and level, flags (clean
// session, and the credentials present), keep-alive, [no properties],
// client identifier, [user name], [password].
func mqttConnect(version MQTTVersion, clientID, username, password string) []byte {
	flags := byte(0x02) // clean session / clean start
	if username != "" {
		flags |= 0x80
	}
	if password != "" {
		flags |= 0x40
	}
	var body []byte
	body = mqttString(body, "MQTT")
	body = append(body, byte(version), flags)
	body = binary.BigEndian.AppendUint16(body, mqttKeepAlive)
	if version == MQTT5 {
		body = append(body, 0) // no properties
	}
	body = mqttString(body, clientID)
	if username != "" {
		body = mqttString(body, username)
	}
	if password != "" {
		body = mqttString(body, password)
	}
	b := []byte{0x10}
	b = mqttVarint(b, len(body))
	return append(b, body...)
}

// mqttString appends a string with its 16-bit length; MQTT validates that
// every string fits.
func mqttString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// mqttVarint appends n as a Variable Byte Integer.
func mqttVarint(b []byte, n int) []byte {
	for {
		c := byte(n % 128)
		n /= 128
		if n > 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

// readConnack reads the broker's first packet, which must be CONNACK, and
// turns a refusal into a protocolError. The packet is at most
// maxMQTTPacket bytes.
func (m *mqttCheck) readConnack(r *bufio.Reader) error {
	typ, err := r.ReadByte()
	if err != nil {
		return err
	}
	if typ != 0x20 {
		return &protocolError{proto: "mqtt", reason: "unexpected reply (not MQTT?)",
			detail: fmt.Sprintf("first packet of type %#x, want CONNACK (0x20)", typ)}
	}
	size, err := readMQTTVarint(r)
	if err != nil {
		return err
	}
	if size < 2 || size > maxMQTTPacket {
		return &protocolError{proto: "mqtt", reason: "unexpected reply (not MQTT?)",
			detail: fmt.Sprintf("CONNACK of %d bytes", size)}
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return err
	}
	code := body[1]
	if code == 0 {
		return nil
	}
	// A 3.1.1 broker answers a version 5 CONNECT with a 3.1.1 CONNACK:
	// two bytes, return code 1.
	v5 := m.version == MQTT5 && !(size == 2 && code < 0x80)
	var reason, codeText string
	if v5 {
		reason, codeText = mqtt5Reasons[code], fmt.Sprintf("CONNACK %#02x", code)
	} else {
		reason, codeText = mqtt311Reasons[code], fmt.Sprintf("CONNACK %d", code)
	}
	if reason == "" {
		reason = "connection refused by broker"
	}
	detail := codeText
	if v5 {
		if text, ok := mqttReasonString(body[2:]); ok {
			detail += ": " + m.scrub.excerpt(text, 128)
		}
	}
	return &protocolError{proto: "mqtt", reason: reason + " (" + codeText + ")", detail: detail}
}

// readMQTTVarint reads a Variable Byte Integer of at most four bytes.
func readMQTTVarint(r io.ByteReader) (int, error) {
	n, shift := 0, 0
	for i := 0; i < 4; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		n |= int(c&0x7f) << shift
		if c&0x80 == 0 {
			return n, nil
		}
		shift += 7
	}
	return 0, &protocolError{proto: "mqtt", reason: "unexpected reply (not MQTT?)",
		detail: "remaining length longer than four bytes"}
}

// mqttReasonString returns the Reason String property (0x1F) of an MQTT 5
// CONNACK's properties, which b starts with. Any property it cannot walk
// ends the search.
func mqttReasonString(b []byte) (string, bool) {
	r := &sliceReader{b: b}
	n, err := readMQTTVarint(r)
	if err != nil || n > len(r.b) {
		return "", false
	}
	props := r.b[:n]
	for len(props) > 0 {
		id := props[0]
		props = props[1:]
		var size int
		switch id {
		case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A: // byte
			size = 1
		case 0x13, 0x21, 0x22: // two-byte integer
			size = 2
		case 0x02, 0x11, 0x18, 0x27: // four-byte integer
			size = 4
		case 0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1A, 0x1C, 0x1F: // string or binary
			if len(props) < 2 {
				return "", false
			}
			size = 2 + int(binary.BigEndian.Uint16(props))
		case 0x26: // user property: a pair of strings
			if len(props) < 2 {
				return "", false
			}
			k := 2 + int(binary.BigEndian.Uint16(props))
			if len(props) < k+2 {
				return "", false
			}
			size = k + 2 + int(binary.BigEndian.Uint16(props[k:]))
		default:
			return "", false
		}
		if size > len(props) {
			return "", false
		}
		if id == 0x1F {
			return string(props[2:size]), true
		}
		props = props[size:]
	}
	return "", false
}

// sliceReader is an io.ByteReader over a byte slice.
type sliceReader struct{ b []byte }

func (s *sliceReader) ReadByte() (byte, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c, nil
}

// mqtt311Reasons names the return codes of an MQTT 3.1.1 CONNACK.
var mqtt311Reasons = map[byte]string{
	1: "unsupported protocol version",
	2: "client identifier rejected",
	3: "server unavailable",
	4: "bad username or password",
	5: "not authorized",
}

// mqtt5Reasons names the reason codes of an MQTT 5 CONNACK.
var mqtt5Reasons = map[byte]string{
	0x80: "unspecified error",
	0x81: "malformed packet",
	0x82: "protocol error",
	0x83: "implementation specific error",
	0x84: "unsupported protocol version",
	0x85: "client identifier rejected",
	0x86: "bad username or password",
	0x87: "not authorized",
	0x88: "server unavailable",
	0x89: "server busy",
	0x8A: "banned",
	0x8C: "bad authentication method",
	0x90: "topic name invalid",
	0x95: "packet too large",
	0x97: "quota exceeded",
	0x99: "payload format invalid",
	0x9A: "retain not supported",
	0x9B: "QoS not supported",
	0x9C: "use another server",
	0x9D: "server moved",
	0x9F: "connection rate exceeded",
}
