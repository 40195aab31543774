package checks

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
)

// The fuzz targets below feed arbitrary bytes to each message-queue
// check's reply reader as a server's answer. Each reader must never panic,
// must end at the end of the input, must pass only on a reply the protocol
// accepts, and must turn anything else into a reason of its own words (a
// protocol code at most) and an error whose text is short, printable ASCII
// and free of the secrets the check was given.

// fuzzSecrets are the credentials planted in the fuzzed checks. Each holds
// a backslash so that an escaped excerpt of a reply could spell it.
var fuzzSecrets = []string{`pw\x1b-4f2a`, `tok\x07-91c3`}

// checkFuzzError asserts the properties every failure must have.
func checkFuzzError(t *testing.T, reply []byte, err error, reasons *regexp.Regexp) {
	t.Helper()
	var pe *protocolError
	if !errors.As(err, &pe) {
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("reply %q: error %v, want a protocolError or EOF", reply, err)
		}
		return
	}
	if !reasons.MatchString(pe.reason) {
		t.Fatalf("reply %q: reason %q is not one of the check's own", reply, pe.reason)
	}
	msg := pe.Error()
	if len(msg) > 300 {
		t.Fatalf("reply %q: error of %d bytes, want a bounded excerpt", reply, len(msg))
	}
	for i := 0; i < len(msg); i++ {
		if msg[i] < 0x20 || msg[i] > 0x7e {
			t.Fatalf("reply %q: error %q holds byte %#x, want printable ASCII", reply, msg, msg[i])
		}
	}
	for _, s := range fuzzSecrets {
		if strings.Contains(msg, s) {
			t.Fatalf("reply %q: error %q holds a secret", reply, msg)
		}
	}
}

var natsReasons = regexp.MustCompile(`^(authentication failed \([A-Za-z ]+\)|authentication timeout|too many connections|` +
	`server requires TLS|server error|unexpected (greeting|reply) \(not NATS\?\))$`)

func FuzzNATSReply(f *testing.F) {
	for _, seed := range []string{
		"INFO {}\r\nPONG\r\n",
		"INFO {\"server_id\":\"x\",\"tls_required\":true}\r\nPONG\r\n",
		"INFO {}\r\nINFO {\"connect_urls\":[]}\r\nPING\r\n+OK\r\nPONG\r\n",
		"INFO {}\r\n-ERR 'Authorization Violation'\r\n",
		"INFO {}\r\n-ERR 'you sent pw\x1b-4f2a'\r\n",
		"-ERR 'maximum connections exceeded'\r\n",
		"INFO {not json\r\n",
		"INFO {}\r\nPO",
		"+OK\r\n",
		"INFO {\"connect_urls\":[\"" + strings.Repeat("10.0.0.1:4222\",\"", 100) + "\"]}\r\nPONG\r\n",
		"HTTP/1.1 400 Bad Request\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	n := &natsCheck{scrub: newScrubber(fuzzSecrets...)}
	f.Fuzz(func(t *testing.T, reply []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(reply), natsBuffer)
		info, err := n.readInfo(br)
		if err == nil {
			err = n.negotiateTLS(info)
		}
		if err == nil {
			err = n.readPong(br, io.Discard)
		}
		if err == nil {
			if !bytes.HasPrefix(reply, []byte("INFO ")) || !bytes.Contains(reply, []byte("\nPONG\n")) &&
				!bytes.Contains(reply, []byte("\nPONG\r\n")) {
				t.Fatalf("reply %q passed", reply)
			}
			return
		}
		checkFuzzError(t, reply, err, natsReasons)
	})
}

var amqpReasons = regexp.MustCompile(`^((authentication failed|vhost not found|vhost access refused|server shutting down|server error|` +
	`connection closed by server) \(([A-Z_]+|reply code \d+)\)|authentication failed \(connection closed during login\)|` +
	`unsupported protocol version|server does not offer SASL PLAIN|unexpected reply \(not AMQP 0-9-1\?\))$`)

func FuzzAMQPReply(f *testing.F) {
	method := func(id uint16, args ...byte) []byte {
		return append([]byte{0, 10, byte(id >> 8), byte(id)}, args...)
	}
	frame := func(payload []byte) []byte {
		n := len(payload)
		b := append([]byte{1, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, payload...)
		return append(b, 0xCE)
	}
	start := frame(method(10, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5, 'P', 'L', 'A', 'I', 'N', 0, 0, 0, 0))
	tune := frame(method(30, 0, 0, 0, 2, 0, 0, 0, 60))
	openOk := frame(method(41, 0))
	closeOk := frame(method(51))
	closeMethod := func(code uint16, text string) []byte {
		return frame(method(50, append(append([]byte{byte(code >> 8), byte(code), byte(len(text))}, text...), 0, 0, 0, 0)...))
	}
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, seed := range [][]byte{
		join(start, tune, openOk, closeOk),
		join(start, []byte{8, 0, 0, 0, 0, 0, 0, 0xCE}, tune, openOk, closeOk),
		join(start, closeMethod(403, "ACCESS_REFUSED - Login was refused")),
		join(start, tune, closeMethod(530, "NOT_ALLOWED - vhost x not found")),
		join(start, tune, closeMethod(530, "NOT_ALLOWED - access to vhost refused")),
		join(start, closeMethod(403, `you sent pw\x1b-4f2a`)),
		join(start),
		[]byte("AMQP\x00\x00\x09\x00"),
		{1, 0, 0, 0x7f, 0xff, 0xff, 0xff},
		[]byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
	} {
		f.Add(seed)
	}
	a := &amqpCheck{startOk: amqpStartOkFrame("app", fuzzSecrets[0]), vhost: "/", scrub: newScrubber(fuzzSecrets...)}
	f.Fuzz(func(t *testing.T, reply []byte) {
		err := a.converse(bufio.NewReader(bytes.NewReader(reply)), io.Discard)
		if err == nil {
			if !bytes.HasPrefix(reply, []byte{1, 0, 0}) {
				t.Fatalf("reply %q passed", reply)
			}
			return
		}
		checkFuzzError(t, reply, err, amqpReasons)
	})
}

var mqttReasons = regexp.MustCompile(`^([a-zA-Z ]+ \(CONNACK (\d+|0x[0-9a-f]{2})\)|unexpected reply \(not MQTT\?\))$`)

func FuzzMQTTConnack(f *testing.F) {
	for _, seed := range []string{
		"\x20\x02\x00\x00",
		"\x20\x02\x00\x04",
		"\x20\x03\x00\x00\x00",
		"\x20\x0d\x00\x87\x09\x11\x00\x00\x00\x00\x1f\x00\x02no",
		"\x20\x0a\x00\x87\x07\x26\x00\x01k\x00\x01v",
		"\x20\x09\x00\x86\x06\x1f\x00\x03pw\\",
		"\x20\xff\xff\xff\xff\xff",
		"\x30\x02ab",
		"\x20\x02\x00",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, reply []byte, v5 bool) {
		m := &mqttCheck{version: MQTT311, scrub: newScrubber(fuzzSecrets...)}
		if v5 {
			m.version = MQTT5
		}
		err := m.readConnack(bufio.NewReaderSize(bytes.NewReader(reply), 64))
		if err == nil {
			if len(reply) < 4 || reply[0] != 0x20 {
				t.Fatalf("reply %q passed", reply)
			}
			return
		}
		checkFuzzError(t, reply, err, mqttReasons)
	})
}
