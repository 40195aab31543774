package checks

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/probekit/probekit/core"
)

// NATSOptions configures [NATS]. The zero value is ready to use: plain TCP,
// no authentication.
type NATSOptions struct {
	// Name labels the server in failure reasons, followed by its address:
	// "events 10.0.0.9:4222: timeout after 800ms". Default: "nats". The
	// same rules as RedisOptions.Name apply.
	Name string

	// Username and Password, when set, are sent in CONNECT ("user" and
	// "pass"). Each requires the other. They never appear in a failure
	// reason or error.
	Username string
	Password string

	// Token, when set, is sent in CONNECT as "auth_token". It excludes
	// Username and Password, and never appears in a reason or error.
	Token string

	// TLS, when non-nil, upgrades the connection to TLS after the server's
	// INFO, as NATS clients do; the server must offer TLS. ServerName
	// defaults to the host of addr. The configuration is cloned: later
	// changes to it have no effect. Without TLS, a server that requires it
	// fails the check with "server requires TLS".
	TLS *tls.Config

	// TLSHandshakeFirst starts TLS as soon as the connection opens, before
	// the server's INFO, for servers configured with handshake_first
	// (nats-server 2.10.4 and later) behind TLS-terminating proxies. It
	// requires TLS.
	TLSHandshakeFirst bool
}

// maxNATSLine bounds a line from a NATS server. INFO lists the cluster's
// client URLs and can run to a few KiB; a longer line is not a NATS server
// answering a health check, and the check must not buffer it.
const maxNATSLine = 16 << 10

// natsBuffer is the size of the read buffer: INFO from a single server
// fits, and a longer line (a large cluster's) grows a copy up to
// maxNATSLine, so that the common run does not pay for the rare one.
const natsBuffer = 1 << 10

// maxNATSLines bounds the lines read while waiting for PONG: the server may
// send INFO updates (cluster changes) or its own PING first, but not many.
const maxNATSLines = 8

// NATS returns a check that connects to the NATS server at addr
// ("host:port"), reads its INFO, sends CONNECT (with the configured
// credentials, verbose and pedantic off) and PING, and expects PONG. It
// speaks the NATS client protocol itself: no client library; each run opens
// and closes one connection. CONNECT and PING are pipelined: a run costs
// one round trip after the server's greeting (and TLS handshake). NATS has
// no goodbye message: clients close the connection, and so does the check.
//
// The whole exchange is bounded by the context's deadline (or by
// core.DefaultTimeout if it has none) and ends early if the context is
// cancelled. Failures read, for example,
// "nats 127.0.0.1:4222: authentication failed (Authorization Violation)",
// "nats 127.0.0.1:4222: server requires TLS",
// "nats 127.0.0.1:4222: unexpected greeting (not NATS?)" or
// "nats 127.0.0.1:4222: timeout after 800ms".
//
// NATS returns an error naming the field if addr is not a valid
// "host:port" (as for [Redis]; a nats:// URL or user info is refused with
// an error that does not repeat it), if Name is not a valid name, if only
// one of Username and Password is set, if Token is set with them, if one
// of the three is not valid UTF-8 (CONNECT is JSON), or if
// TLSHandshakeFirst is set without TLS.
func NATS(addr string, opts NATSOptions) (core.CheckFunc, error) {
	if err := validateAddr(addr, "pass credentials in NATSOptions.Username and Password, or Token"); err != nil {
		return nil, fmt.Errorf("checks: NATS: %w", err)
	}
	if err := validateName("NATSOptions.Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: NATS: %w", err)
	}
	switch {
	case opts.Username != "" && opts.Password == "":
		return nil, errors.New("checks: NATS: NATSOptions.Username requires NATSOptions.Password")
	case opts.Password != "" && opts.Username == "":
		return nil, errors.New("checks: NATS: NATSOptions.Password requires NATSOptions.Username")
	case opts.Token != "" && opts.Username != "":
		return nil, errors.New("checks: NATS: NATSOptions.Token excludes NATSOptions.Username and Password")
	case opts.TLSHandshakeFirst && opts.TLS == nil:
		return nil, errors.New("checks: NATS: NATSOptions.TLSHandshakeFirst requires NATSOptions.TLS")
	}
	// CONNECT is JSON, whose encoder would send U+FFFD for each byte of
	// invalid UTF-8: another credential than the one configured.
	for _, f := range []struct{ field, v string }{
		{"Username", opts.Username}, {"Password", opts.Password}, {"Token", opts.Token},
	} {
		if !utf8.ValidString(f.v) {
			return nil, fmt.Errorf("checks: NATS: NATSOptions.%s is not valid UTF-8, which CONNECT's JSON cannot carry", f.field)
		}
	}
	n := &natsCheck{
		addr:  addr,
		label: labelOr(opts.Name, "nats") + " " + addr,
		tls:   clientTLS(opts.TLS, addr),
		scrub: newScrubber(opts.Password, opts.Token),
		first: opts.TLSHandshakeFirst,
	}
	n.request = natsRequest(opts, n.tls != nil)
	return n.check, nil
}

// natsCheck is the state of one NATS check. It is read-only after
// construction, so concurrent runs share it safely.
type natsCheck struct {
	addr    string
	label   string
	request []byte      // CONNECT {...}\r\nPING\r\n, encoded once
	tls     *tls.Config // nil for plain TCP
	first   bool        // TLS before INFO
	scrub   scrubber
	dialer  net.Dialer
}

// natsConnect is the CONNECT message's JSON: the fields a client must send
// and the credentials.
type natsConnect struct {
	Verbose     bool   `json:"verbose"`
	Pedantic    bool   `json:"pedantic"`
	TLSRequired bool   `json:"tls_required"`
	Name        string `json:"name"`
	Lang        string `json:"lang"`
	Version     string `json:"version"`
	Protocol    int    `json:"protocol"`
	User        string `json:"user,omitempty"`
	Pass        string `json:"pass,omitempty"`
	AuthToken   string `json:"auth_token,omitempty"`
}

// natsRequest encodes CONNECT and PING. json.Marshal escapes whatever the
// credentials hold, so they cannot inject protocol lines.
func natsRequest(opts NATSOptions, useTLS bool) []byte {
	body, _ := json.Marshal(natsConnect{ // a struct of strings, bools and ints always marshals
		TLSRequired: useTLS,
		Name:        "probekit",
		Lang:        "go",
		Version:     "probekit",
		Protocol:    1,
		User:        opts.Username,
		Pass:        opts.Password,
		AuthToken:   opts.Token,
	})
	b := append([]byte("CONNECT "), body...)
	return append(b, "\r\nPING\r\n"...)
}

func (n *natsCheck) check(ctx context.Context) error {
	ctx, cancel, budget := bound(ctx)
	defer cancel()
	if err := n.exchange(ctx); err != nil {
		return protocolFailure(ctx, n.label, budget, err)
	}
	return nil
}

// exchange runs one connection: dial, INFO, [TLS], CONNECT + PING, PONG.
func (n *natsCheck) exchange(ctx context.Context) error {
	var first *tls.Config
	if n.first {
		first = n.tls
	}
	conn, release, err := dialConn(ctx, &n.dialer, n.addr, first)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer release()
	br := bufio.NewReaderSize(conn, natsBuffer)
	info, err := n.readInfo(br)
	if err != nil {
		return err
	}
	if n.first {
		// The connection is encrypted already, whatever INFO says.
		return n.ping(br, conn)
	}
	if err := n.negotiateTLS(info); err != nil {
		return err
	}
	if n.tls != nil {
		if br.Buffered() > 0 {
			return &protocolError{proto: "nats", reason: "unexpected reply (not NATS?)",
				detail: "data after INFO before the TLS handshake"}
		}
		if conn, err = startTLS(ctx, conn, n.tls); err != nil {
			return err
		}
		defer conn.Close()
		br.Reset(conn)
	}
	return n.ping(br, conn)
}

// ping sends CONNECT and PING and waits for PONG.
func (n *natsCheck) ping(br *bufio.Reader, conn net.Conn) error {
	if _, err := conn.Write(n.request); err != nil {
		return err
	}
	return n.readPong(br, conn)
}

// natsInfo holds the fields of INFO that the check reads.
type natsInfo struct {
	TLSRequired  bool `json:"tls_required"`
	TLSAvailable bool `json:"tls_available"`
}

// readInfo reads the server's greeting, "INFO {...}".
func (n *natsCheck) readInfo(br *bufio.Reader) (natsInfo, error) {
	var info natsInfo
	line, err := n.readLine(br)
	if err != nil {
		return info, err
	}
	rest, ok := bytes.CutPrefix(line, []byte("INFO "))
	if !ok {
		if reason, detail, isErr := n.serverError(line); isErr {
			return info, &protocolError{proto: "nats", reason: reason, detail: "greeting: " + detail}
		}
		return info, &protocolError{proto: "nats", reason: "unexpected greeting (not NATS?)",
			detail: "greeting " + n.scrub.excerpt(string(line), 64)}
	}
	if err := json.Unmarshal(rest, &info); err != nil {
		return info, &protocolError{proto: "nats", reason: "unexpected greeting (not NATS?)",
			detail: "INFO is not a JSON object"}
	}
	return info, nil
}

// negotiateTLS compares what the server's INFO offers with the options.
func (n *natsCheck) negotiateTLS(info natsInfo) error {
	switch {
	case n.tls == nil && info.TLSRequired:
		return &protocolError{proto: "nats", reason: "server requires TLS", detail: "INFO: tls_required"}
	case n.tls != nil && !info.TLSRequired && !info.TLSAvailable:
		return &protocolError{proto: "nats", reason: "tls: server does not offer TLS",
			detail: "INFO: neither tls_required nor tls_available"}
	}
	return nil
}

// readPong reads the replies to CONNECT and PING until PONG. Verbose is
// off, so CONNECT has no reply unless it fails (-ERR); the server may
// interleave INFO updates and PINGs of its own, which are answered.
func (n *natsCheck) readPong(br *bufio.Reader, w io.Writer) error {
	for range maxNATSLines {
		line, err := n.readLine(br)
		if err != nil {
			return err
		}
		switch {
		case bytes.Equal(line, []byte("PONG")):
			return nil
		case bytes.Equal(line, []byte("PING")):
			if _, err := io.WriteString(w, "PONG\r\n"); err != nil {
				return err
			}
		case bytes.HasPrefix(line, []byte("INFO ")), bytes.Equal(line, []byte("+OK")):
		default:
			if reason, detail, isErr := n.serverError(line); isErr {
				return &protocolError{proto: "nats", reason: reason, detail: "CONNECT/PING: " + detail}
			}
			return &protocolError{proto: "nats", reason: "unexpected reply (not NATS?)",
				detail: "CONNECT/PING: unexpected reply " + n.scrub.excerpt(string(line), 64)}
		}
	}
	return &protocolError{proto: "nats", reason: "unexpected reply (not NATS?)",
		detail: fmt.Sprintf("no PONG in the first %d lines", maxNATSLines)}
}

// readLine reads one protocol line, without its CRLF, of at most
// maxNATSLine bytes. The returned slice is valid until the next read.
// br must be natsBuffer bytes large.
func (n *natsCheck) readLine(br *bufio.Reader) ([]byte, error) {
	tooLong := &protocolError{proto: "nats", reason: "unexpected reply (not NATS?)",
		detail: fmt.Sprintf("line longer than %d bytes", maxNATSLine)}
	line, err := br.ReadSlice('\n')
	var long []byte
	for errors.Is(err, bufio.ErrBufferFull) {
		if long = append(long, line...); len(long) > maxNATSLine {
			return nil, tooLong
		}
		line, err = br.ReadSlice('\n')
	}
	if err != nil {
		return nil, err
	}
	if long != nil {
		if line = append(long, line...); len(line) > maxNATSLine {
			return nil, tooLong
		}
	}
	return bytes.TrimSuffix(line[:len(line)-1], []byte("\r")), nil
}

// natsErrors maps the server's -ERR texts (lower-cased) that a health
// check meets to reasons. Their wording is nats-server's.
var natsErrors = map[string]string{
	"authorization violation":                     "authentication failed (Authorization Violation)",
	"authentication timeout":                      "authentication timeout",
	"user authentication expired":                 "authentication failed (user authentication expired)",
	"user authentication revoked":                 "authentication failed (user authentication revoked)",
	"account authentication expired":              "authentication failed (account authentication expired)",
	"maximum connections exceeded":                "too many connections",
	"maximum account active connections exceeded": "too many connections",
	"secure connection - tls required":            "server requires TLS",
}

// serverError classifies a "-ERR '...'" line: the reason for a known error,
// "server error" for any other, and the scrubbed, escaped text as detail.
func (n *natsCheck) serverError(line []byte) (reason, detail string, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte("-ERR"))
	if !ok {
		return "", "", false
	}
	text := strings.Trim(strings.TrimSpace(string(rest)), "'")
	detail = "-ERR " + n.scrub.excerpt(text, 128)
	if r, known := natsErrors[strings.ToLower(text)]; known {
		return r, detail, true
	}
	return "server error", detail, true
}
