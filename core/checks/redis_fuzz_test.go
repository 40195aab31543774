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

// fuzzPassword is planted in the fuzzed Redis check: whatever the server
// sends, it must not come back in an error. It holds a backslash so that an
// escaped excerpt of the reply could spell it.
const fuzzPassword = `pw\x1b-4f2a`

var redisReasons = regexp.MustCompile(`^((authentication failed|authentication required|server error) \([A-Z]{1,32}\)|unexpected reply \(not Redis\?\))$`)

// FuzzRedisReply feeds arbitrary bytes to the RESP reply reader as a
// server's answer to [AUTH] PING. The reader must never panic, must end at
// the end of the input, must pass only on +OK/+PONG lines, and must turn
// anything else into a reason of its own words (a server error's code at
// most) and an error whose text is short, printable ASCII and free of the
// password.
func FuzzRedisReply(f *testing.F) {
	for _, seed := range []string{
		"+PONG\r\n",
		"+OK\r\n+PONG\r\n",
		"-WRONGPASS invalid username-password pair or user is disabled.\r\n-NOAUTH Authentication required.\r\n",
		"-NOAUTH Authentication required.\r\n",
		"-LOADING Redis is loading the dataset in memory\r\n",
		"-ERR you sent AUTH app " + fuzzPassword + "\r\n",
		"$2147483647\r\n",
		"*-1\r\n",
		"-ERR \x1b[2J\u202e caf\u00e9\r\n",
		"-ERR pw\x1b-4f2a\r\n", // a raw ESC whose escape spells the password
		"+PO",
		"HTTP/1.1 400 Bad Request\r\n\r\n",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, reply []byte, auth bool) {
		r := &redisCheck{}
		if auth {
			r.password = fuzzPassword
		}
		err := r.readReplies(bufio.NewReaderSize(bytes.NewReader(reply), maxRedisReply))
		if err == nil {
			want := "+PONG\n"
			if auth {
				want = "+OK\n+PONG\n"
			}
			got := strings.ReplaceAll(string(reply), "\r\n", "\n")
			if !strings.HasPrefix(got, want) {
				t.Fatalf("reply %q passed", reply)
			}
			return
		}
		var re *redisError
		if !errors.As(err, &re) {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("reply %q: error %v, want a redisError or EOF", reply, err)
			}
			return
		}
		if !redisReasons.MatchString(re.reason) {
			t.Fatalf("reply %q: reason %q is not one of the check's own", reply, re.reason)
		}
		msg := re.Error()
		if len(msg) > 200 {
			t.Fatalf("reply %q: error of %d bytes, want a bounded excerpt", reply, len(msg))
		}
		for i := 0; i < len(msg); i++ {
			if msg[i] < 0x20 || msg[i] > 0x7e {
				t.Fatalf("reply %q: error %q holds byte %#x, want printable ASCII", reply, msg, msg[i])
			}
		}
		if auth && strings.Contains(msg, fuzzPassword) {
			t.Fatalf("reply %q: error %q holds the password", reply, msg)
		}
	})
}
