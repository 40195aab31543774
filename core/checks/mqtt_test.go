package checks_test

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

// mqttConnect is what the fake broker reads from CONNECT.
type mqttConnect struct {
	level              byte
	flags              byte
	clientID           string
	username, password string
}

// readMQTTConnect reads and decodes a CONNECT packet (no will).
func readMQTTConnect(br *bufio.Reader) (mqttConnect, error) {
	var m mqttConnect
	typ, err := br.ReadByte()
	if err != nil || typ != 0x10 {
		return m, fmt.Errorf("packet type %#x", typ)
	}
	size, shift := 0, 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			return m, err
		}
		size |= int(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			break
		}
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(br, body); err != nil {
		return m, err
	}
	str := func() string {
		n := int(binary.BigEndian.Uint16(body))
		s := string(body[2 : 2+n])
		body = body[2+n:]
		return s
	}
	if str() != "MQTT" {
		return m, fmt.Errorf("protocol name")
	}
	m.level, m.flags = body[0], body[1]
	body = body[4:]
	if m.level == 5 {
		body = body[1:] // property length 0
	}
	m.clientID = str()
	if m.flags&0x80 != 0 {
		m.username = str()
	}
	if m.flags&0x40 != 0 {
		m.password = str()
	}
	return m, nil
}

// broker is a fake MQTT broker: connack returns the CONNACK for a CONNECT
// ("" closes the connection). It records the client identifiers it saw and
// whether the client said DISCONNECT.
type broker struct {
	connack func(mqttConnect) string
	mu      sync.Mutex
	ids     []string
	goodbye int
}

func (b *broker) handle(c net.Conn) {
	br := bufio.NewReader(c)
	m, err := readMQTTConnect(br)
	if err != nil {
		return
	}
	b.mu.Lock()
	b.ids = append(b.ids, m.clientID)
	b.mu.Unlock()
	reply := b.connack(m)
	if _, err := io.WriteString(c, reply); err != nil || len(reply) < 4 || reply[3] != 0 {
		return // a refusal: the broker closes
	}
	var disconnect [2]byte
	if _, err := io.ReadFull(br, disconnect[:]); err == nil && disconnect == [2]byte{0xE0, 0} {
		b.mu.Lock()
		b.goodbye++
		b.mu.Unlock()
	}
}

// acceptApp accepts the user "app" with testPassword, and anyone without
// credentials, in both versions.
func acceptApp(m mqttConnect) string {
	code := byte(0)
	if m.username != "" && (m.username != "app" || m.password != testPassword) {
		code = 4
		if m.level == 5 {
			code = 0x86
		}
	}
	if m.level == 5 {
		return string([]byte{0x20, 3, 0, code, 0})
	}
	return string([]byte{0x20, 2, 0, code})
}

func TestMQTT(t *testing.T) {
	t.Parallel()
	tlsServer, trusted := selfSigned(t)
	v5 := func(code byte, props ...byte) func(mqttConnect) string {
		return func(mqttConnect) string {
			p := append([]byte{0x20, byte(3 + len(props)), 0, code, byte(len(props))}, props...)
			return string(p)
		}
	}
	v311 := func(code byte) func(mqttConnect) string {
		return func(mqttConnect) string { return string([]byte{0x20, 2, 0, code}) }
	}
	app := checks.MQTTOptions{Username: "app", Password: testPassword}
	tests := []struct {
		name    string
		tls     *tls.Config
		connack func(mqttConnect) string
		handle  func(net.Conn) // instead of a broker
		addr    string
		opts    checks.MQTTOptions
		timeout time.Duration
		want    string
	}{
		{name: "3.1.1", connack: acceptApp},
		{name: "5", connack: acceptApp, opts: checks.MQTTOptions{Version: checks.MQTT5}},
		{name: "3.1.1 credentials", connack: acceptApp, opts: app},
		{name: "5 credentials", connack: acceptApp, opts: checks.MQTTOptions{Version: checks.MQTT5, Username: "app", Password: testPassword}},
		{name: "3.1.1 bad password", connack: acceptApp,
			opts: checks.MQTTOptions{Username: "app", Password: "wrong-" + testPassword},
			want: "bad username or password (CONNACK 4)"},
		{name: "5 bad password", connack: acceptApp,
			opts: checks.MQTTOptions{Version: checks.MQTT5, Username: "app", Password: "wrong"},
			want: "bad username or password (CONNACK 0x86)"},
		{name: "3.1.1 not authorized", connack: v311(5), want: "not authorized (CONNACK 5)"},
		{name: "3.1.1 server unavailable", connack: v311(3), want: "server unavailable (CONNACK 3)"},
		{name: "3.1.1 identifier rejected", connack: v311(2), want: "client identifier rejected (CONNACK 2)"},
		{name: "3.1.1 unknown code", connack: v311(9), want: "connection refused by broker (CONNACK 9)"},
		{name: "5 to a 3.1.1 broker", connack: v311(1), opts: checks.MQTTOptions{Version: checks.MQTT5},
			want: "unsupported protocol version (CONNACK 1)"},
		{name: "5 unsupported version", connack: v5(0x84), opts: checks.MQTTOptions{Version: checks.MQTT5},
			want: "unsupported protocol version (CONNACK 0x84)"},
		{name: "5 not authorized with reason string", opts: checks.MQTTOptions{Version: checks.MQTT5},
			connack: v5(0x87, 0x11, 0, 0, 0, 0, 0x1F, 0, 4, 'n', 'o', 'p', 'e'),
			want:    "not authorized (CONNACK 0x87)"},
		{name: "5 server busy", connack: v5(0x89), opts: checks.MQTTOptions{Version: checks.MQTT5},
			want: "server busy (CONNACK 0x89)"},
		{name: "5 unknown code", connack: v5(0xFE), opts: checks.MQTTOptions{Version: checks.MQTT5},
			want: "connection refused by broker (CONNACK 0xfe)"},
		{name: "not a connack", connack: func(mqttConnect) string { return "\x30\x02ab" },
			want: "unexpected reply (not MQTT?)"},
		{name: "short connack", connack: func(mqttConnect) string { return "\x20\x01\x00" },
			want: "unexpected reply (not MQTT?)"},
		{name: "oversized connack", connack: func(mqttConnect) string { return "\x20\xff\xff\xff\x7f" },
			want: "unexpected reply (not MQTT?)"},
		{name: "endless length", connack: func(mqttConnect) string { return "\x20\xff\xff\xff\xff\xff" },
			want: "unexpected reply (not MQTT?)"},
		{name: "not mqtt", handle: func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
			drain(c)
		}, want: "unexpected reply (not MQTT?)"},
		{name: "never answers", handle: drain, timeout: 200 * time.Millisecond, want: "timeout"},
		{name: "cut mid-reply", connack: func(mqttConnect) string { return "\x20\x02\x00" },
			want: "connection closed"},
		{name: "refused", addr: closedAddr(t), want: "connection refused"},
		{name: "tls", tls: tlsServer, connack: acceptApp,
			opts: checks.MQTTOptions{TLS: &tls.Config{RootCAs: trusted}}},
		{name: "tls unknown authority", tls: tlsServer, connack: acceptApp,
			opts: checks.MQTTOptions{TLS: &tls.Config{}},
			want: "tls: certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := tt.addr
			var b *broker
			if addr == "" {
				handle := tt.handle
				if handle == nil {
					b = &broker{connack: tt.connack}
					handle = b.handle
				}
				addr = serve(t, tt.tls, handle).Addr()
			}
			check := must(t)(checks.MQTT(addr, tt.opts))
			err := call(check, tt.timeout)
			ce := wantReason(t, err, "mqtt "+addr+": ", tt.want)
			if ce != nil && strings.Contains(err.Error(), testPassword) {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

// Each run connects with a client identifier of its own, which a broker
// accepts, and says goodbye with DISCONNECT.
func TestMQTTClientIDsAndGoodbye(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		opts   checks.MQTTOptions
		prefix string
	}{
		{prefix: "probekit"},
		{opts: checks.MQTTOptions{ClientIDPrefix: "orders-health-", Version: checks.MQTT5}, prefix: "orders-health-"},
	} {
		b := &broker{connack: acceptApp}
		srv := serve(t, nil, b.handle)
		check := must(t)(checks.MQTT(srv.Addr(), tt.opts))
		const runs = 3
		for range runs {
			if err := call(check, 0); err != nil {
				t.Fatal(err)
			}
		}
		srv.ln.Close()
		srv.wg.Wait() // every handler has seen its connection end
		b.mu.Lock()
		ids, goodbyes := append([]string(nil), b.ids...), b.goodbye
		b.mu.Unlock()
		if goodbyes != runs {
			t.Errorf("%d DISCONNECTs, want %d", goodbyes, runs)
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if !strings.HasPrefix(id, tt.prefix) || len(id) != len(tt.prefix)+12 || seen[id] {
				t.Errorf("client identifiers %q: want %q and 12 digits, each once", ids, tt.prefix)
			}
			seen[id] = true
		}
		if len(ids) != runs {
			t.Errorf("%d connections, want %d", len(ids), runs)
		}
		if len(tt.prefix) == len("probekit") && len(ids) > 0 && len(ids[0]) > 23 {
			t.Errorf("default client identifier %q is longer than the 23 bytes every broker accepts", ids[0])
		}
	}
}

func TestMQTTOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		opts checks.MQTTOptions
		want string
	}{
		{addr: "mqtt://u:p@127.0.0.1:1883", want: "not a URL"},
		{addr: "[::1]", want: "address"},
		{addr: "127.0.0.1:1883", opts: checks.MQTTOptions{Name: "u@broker"}, want: "MQTTOptions.Name"},
		{addr: "127.0.0.1:1883", opts: checks.MQTTOptions{Version: 3}, want: "MQTTOptions.Version"},
		{addr: "127.0.0.1:1883", opts: checks.MQTTOptions{ClientIDPrefix: "has space"}, want: "MQTTOptions.ClientIDPrefix"},
		{addr: "127.0.0.1:1883", opts: checks.MQTTOptions{ClientIDPrefix: strings.Repeat("x", 65)}, want: "MQTTOptions.ClientIDPrefix"},
		{addr: "127.0.0.1:1883", opts: checks.MQTTOptions{Password: "pw"}, want: "MQTTOptions.Password requires MQTTOptions.Username"},
		{addr: "127.0.0.1:1883", opts: checks.MQTTOptions{Username: strings.Repeat("u", 1<<16)}, want: "MQTTOptions.Username is longer"},
		{addr: "127.0.0.1:1883", opts: checks.MQTTOptions{Username: "u", Password: strings.Repeat("p", 1<<16)}, want: "MQTTOptions.Password is longer"},
		// MQTT strings are well-formed UTF-8 without U+0000; a broker that
		// gets another closes the connection, which would read as a
		// network fault. The password is binary data.
		{addr: "127.0.0.1:1883", opts: checks.MQTTOptions{Username: "a\x00b"}, want: "MQTTOptions.Username"},
		{addr: "127.0.0.1:1883", opts: checks.MQTTOptions{Username: "a\xffb"}, want: "MQTTOptions.Username"},
		{addr: "127.0.0.1:1883", opts: checks.MQTTOptions{Username: "a\xed\xa0\x80b"}, want: "MQTTOptions.Username"},
	}
	for _, tt := range tests {
		fn, err := checks.MQTT(tt.addr, tt.opts)
		if err == nil || fn != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("MQTT(%q, %+v) = %v, want an error containing %q and no check", tt.addr, tt.opts, err, tt.want)
		}
	}
	if _, err := checks.MQTT("127.0.0.1:1883", checks.MQTTOptions{Username: "ünï", Password: "\x00\xff"}); err != nil {
		t.Errorf("MQTT with a UTF-8 user name and a binary password: %v, want accepted", err)
	}
	if _, err := checks.MQTT("127.0.0.1:1883", checks.MQTTOptions{Version: checks.MQTT5, Password: "token"}); err != nil {
		t.Errorf("MQTT 5 with a password alone: %v, want accepted", err)
	}
}
