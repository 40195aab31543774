package integration_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// redisDo runs one command on a new connection to addr, after AUTH when
// password is set, and returns the reply: a string, an int64, nil or a
// []any. A Redis error reply is returned as an error.
func redisDo(addr, password string, args ...string) (any, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return nil, err
	}
	br := bufio.NewReader(c)
	if password != "" {
		if _, err := roundTrip(c, br, "AUTH", password); err != nil {
			return nil, err
		}
	}
	return roundTrip(c, br, args...)
}

func roundTrip(c net.Conn, br *bufio.Reader, args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		return nil, err
	}
	return readReply(br)
}

func readReply(br *bufio.Reader) (any, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	switch body := line[1:]; line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, errors.New(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		items := make([]any, n)
		for i := range items {
			if items[i], err = readReply(br); err != nil {
				return nil, err
			}
		}
		return items, nil
	}
	return nil, fmt.Errorf("unknown reply %q", line)
}

func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "pk-" + hex.EncodeToString(b)
}

// assertNoLeak probes a registry holding the failing check, with
// ExposeErrors on, and fails the test if any secret shows up in the reason,
// the error or any response format.
func assertNoLeak(t *testing.T, name string, check core.CheckFunc, secrets ...string) {
	t.Helper()
	err := check(context.Background())
	if err == nil {
		t.Fatalf("%s: check passed, want a failure", name)
	}
	surfaces := []string{core.Reason(err), err.Error()}
	h := newRegistry(t, core.Options{ExposeErrors: true})
	if err := h.Register(core.Check{Name: name, Check: check, Timeout: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	for _, req := range []core.ProbeRequest{
		{Method: http.MethodGet, Kind: core.Readiness},
		{Method: http.MethodGet, Kind: core.Readiness, RawQuery: "verbose"},
		{Method: http.MethodGet, Kind: core.Readiness, Accept: "application/health+json"},
	} {
		surfaces = append(surfaces, string(h.Probe(context.Background(), req).Body))
	}
	for _, s := range surfaces {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("%s leaks a secret: %s", name, s)
			}
		}
	}
}

// TestRedisRequirePass sets a password on the real server for the duration
// of the test, through a throwaway connection, and restores the previous
// setting at cleanup, whatever happens in between. It must not run in
// parallel with the other tests of this package (which talk to Redis
// without a password): as a non-parallel top-level test it runs before any
// parallel test starts.
func TestRedisRequirePass(t *testing.T) {
	addr := serverAddr(t, "PROBEKIT_REDIS_ADDR")
	reply, err := redisDo(addr, "", "CONFIG", "GET", "requirepass")
	if err != nil {
		t.Fatalf("CONFIG GET requirepass: %v", err)
	}
	kv, ok := reply.([]any)
	if !ok || len(kv) != 2 {
		t.Fatalf("CONFIG GET requirepass = %#v", reply)
	}
	previous, _ := kv[1].(string)
	password := randomSecret(t)
	wrong := randomSecret(t)

	if _, err := redisDo(addr, previous, "CONFIG", "SET", "requirepass", password); err != nil {
		t.Fatalf("CONFIG SET requirepass: %v", err)
	}
	t.Cleanup(func() {
		if _, err := redisDo(addr, password, "CONFIG", "SET", "requirepass", previous); err != nil {
			t.Errorf("restoring requirepass: %v; the server needs `CONFIG SET requirepass \"\"`", err)
		}
	})

	tests := []struct {
		name     string
		password string
		want     string // reason after "redis ADDR: "; "" means healthy
	}{
		{name: "right password", password: password},
		{name: "wrong password", password: wrong, want: "authentication failed (WRONGPASS)"},
		{name: "no password", want: "authentication required (NOAUTH)"},
	}
	for _, tt := range tests {
		check := must(t)(checks.Redis(addr, checks.RedisOptions{Password: tt.password}))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := check(ctx)
		cancel()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want healthy", tt.name, err)
		case tt.want == "":
		case core.Reason(err) != "redis "+addr+": "+tt.want:
			t.Errorf("%s: reason %q, want %q", tt.name, core.Reason(err), "redis "+addr+": "+tt.want)
		default:
			assertNoLeak(t, strings.ReplaceAll(tt.name, " ", "-"), check, password, wrong)
		}
	}
}

// TestRedisACLUser authenticates as an ACL user created for the test (and
// deleted after), which leaves the default user untouched.
func TestRedisACLUser(t *testing.T) {
	t.Parallel()
	addr := serverAddr(t, "PROBEKIT_REDIS_ADDR")
	user := "probekit-" + randomSecret(t)[3:11]
	password := randomSecret(t)
	if _, err := redisDo(addr, "", "ACL", "SETUSER", user, "on", ">"+password, "-@all", "+ping"); err != nil {
		t.Fatalf("ACL SETUSER: %v", err)
	}
	t.Cleanup(func() {
		if _, err := redisDo(addr, "", "ACL", "DELUSER", user); err != nil {
			t.Errorf("ACL DELUSER %s: %v", user, err)
		}
	})
	ok := must(t)(checks.Redis(addr, checks.RedisOptions{Username: user, Password: password}))
	if err := ok(context.Background()); err != nil {
		t.Fatalf("as %s: %v", user, err)
	}
	bad := must(t)(checks.Redis(addr, checks.RedisOptions{Username: user, Password: password + "x"}))
	if got, want := core.Reason(bad(context.Background())), "redis "+addr+": authentication failed (WRONGPASS)"; got != want {
		t.Fatalf("wrong password: reason %q, want %q", got, want)
	}
	assertNoLeak(t, "acl-wrong-password", bad, password)
}
