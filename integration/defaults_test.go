package integration_test

import (
	"bufio"
	"os"
	"regexp"
	"testing"
)

// With no PROBEKIT_* variable set, the tests use the standard loopback
// addresses rather than skipping: a plain `go test ./integration/...` on a
// machine running the servers tests them.
func TestServerDefaultsWhenUnset(t *testing.T) {
	for _, tt := range []struct{ env, want string }{
		{"PROBEKIT_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"},
		{"PROBEKIT_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test"},
		{"PROBEKIT_REDIS_ADDR", "127.0.0.1:6379"},
		{"PROBEKIT_NATS_ADDR", "127.0.0.1:4222"},
		{"PROBEKIT_AMQP_ADDR", "127.0.0.1:5672"},
		{"PROBEKIT_MQTT_ADDR", "127.0.0.1:1883"},
	} {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(tt.env, "")
			if got := serverSetting(tt.env); got != tt.want {
				t.Errorf("unset: serverSetting(%s) = %q, want %q", tt.env, got, tt.want)
			}
			t.Setenv(tt.env, "elsewhere:1")
			if got := serverSetting(tt.env); got != "elsewhere:1" {
				t.Errorf("set: serverSetting(%s) = %q, want the variable's value", tt.env, got)
			}
		})
	}
}

// The Makefile exports the same defaults, so `make test` and `go test` test
// the same servers.
func TestMakefileAgreesOnServerDefaults(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^export\s+(PROBEKIT_\w+)\s*\?=\s*(\S+)\s*$`)
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		seen[m[1]] = true
		if want, ok := serverDefaults[m[1]]; !ok {
			t.Errorf("Makefile exports %s, which the tests do not read", m[1])
		} else if m[2] != want {
			t.Errorf("Makefile: %s ?= %s, tests default to %s", m[1], m[2], want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for env := range serverDefaults {
		if !seen[env] {
			t.Errorf("Makefile does not export %s", env)
		}
	}
}
