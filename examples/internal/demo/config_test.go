package demo

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	def := Config{
		Port:             DefaultPort,
		PropagationDelay: DefaultPropagationDelay,
		DrainTimeout:     DefaultDrainTimeout,
		MigrationDelay:   DefaultMigrationDelay,
		RedisAddr:        DefaultRedisAddr,
	}
	with := func(f func(*Config)) Config { c := def; f(&c); return c }
	tests := []struct {
		name    string
		args    []string
		env     func(string) string
		want    Config
		wantErr string // substring; "" means success
	}{
		{name: "defaults", env: env(), want: def},
		{
			name: "environment",
			env:  env("PORT", "9090", "PROPAGATION_DELAY", "1s", "DRAIN_TIMEOUT", "3s", "MIGRATION_DELAY", "0s", "REDIS_ADDR", "cache:6380"),
			want: Config{Port: 9090, PropagationDelay: time.Second, DrainTimeout: 3 * time.Second, MigrationDelay: 0, RedisAddr: "cache:6380"},
		},
		{
			name: "flags override environment",
			args: []string{"-port", "7070", "-propagation-delay=250ms", "-drain-timeout", "1m"},
			env:  env("PORT", "9090", "PROPAGATION_DELAY", "1s"),
			want: with(func(c *Config) { c.Port, c.PropagationDelay, c.DrainTimeout = 7070, 250*time.Millisecond, time.Minute }),
		},
		{name: "empty variable means default", env: env("PORT", ""), want: def},
		{name: "loopback host", env: env("LISTEN_HOST", "127.0.0.1"), want: with(func(c *Config) { c.Host = "127.0.0.1" })},
		{name: "IPv6 host", args: []string{"-listen-host", "::1"}, env: env(), want: with(func(c *Config) { c.Host = "::1" })},
		{name: "bad LISTEN_HOST", env: env("LISTEN_HOST", "127.0.0.1:80"), wantErr: `LISTEN_HOST: want a host name or IP address, got "127.0.0.1:80"`},
		// A dev shell's HOST (the machine's name, say) is not read.
		{name: "HOST ignored", env: env("HOST", "devbox:1"), want: def},
		{name: "bad PORT", env: env("PORT", "http"), wantErr: `PORT: want an integer in [1, 65535], got "http"`},
		{name: "PORT out of range", env: env("PORT", "70000"), wantErr: "PORT: want an integer"},
		{name: "PORT zero", env: env("PORT", "0"), wantErr: "PORT: want an integer"},
		{name: "bad PROPAGATION_DELAY", env: env("PROPAGATION_DELAY", "5"), wantErr: `PROPAGATION_DELAY: want a positive duration such as 5s, got "5"`},
		{name: "zero DRAIN_TIMEOUT", env: env("DRAIN_TIMEOUT", "0s"), wantErr: "DRAIN_TIMEOUT: want a positive duration"},
		{name: "negative MIGRATION_DELAY", env: env("MIGRATION_DELAY", "-1s"), wantErr: "MIGRATION_DELAY: want a duration >= 0"},
		{name: "bad REDIS_ADDR", env: env("REDIS_ADDR", "localhost"), wantErr: `REDIS_ADDR: want host:port, got "localhost"`},
		{name: "bad flag value", args: []string{"-port", "x"}, env: env(), wantErr: `invalid value "x" for flag -port: want an integer`},
		{name: "unknown flag", args: []string{"-verbose"}, env: env(), wantErr: "flag provided but not defined: -verbose"},
		{name: "stray argument", args: []string{"serve"}, env: env(), wantErr: `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseConfig("test", tt.args, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseConfigHelp(t *testing.T) {
	t.Parallel()
	_, err := ParseConfig("test", []string{"-h"}, env())
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, name := range []string{"-listen-host", "-port", "-propagation-delay", "-drain-timeout", "-migration-delay", "-redis-addr", "PROPAGATION_DELAY"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("help text does not mention %s:\n%v", name, err)
		}
	}
}

// The help text shows each setting's default, so that -h answers "what
// happens if I set nothing" without reading the code.
func TestParseConfigHelpShowsDefaults(t *testing.T) {
	t.Parallel()
	_, err := ParseConfig("test", []string{"-h"}, env())
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, line := range []string{
		"-listen-host\taddress to listen on; empty for every interface (env LISTEN_HOST)\n",
		"-port\tTCP port to listen on (env PORT, default 8080)\n",
		"-propagation-delay\thow long to keep serving, not ready, after SIGTERM (env PROPAGATION_DELAY, default 5s)\n",
		"-drain-timeout\thow long to wait for in-flight requests at shutdown (env DRAIN_TIMEOUT, default 20s)\n",
		"-migration-delay\thow long the simulated migrations take (startup phase) (env MIGRATION_DELAY, default 2s)\n",
		"-redis-addr\thost:port of the optional Redis (env REDIS_ADDR, default 127.0.0.1:6379)\n",
	} {
		if !strings.Contains(err.Error(), line) {
			t.Errorf("help text lacks %q:\n%v", line, err)
		}
	}
}

// The defaults shown by -h are the defaults, not values the environment set.
func TestParseConfigHelpIgnoresEnvironment(t *testing.T) {
	t.Parallel()
	_, err := ParseConfig("test", []string{"-h"}, env("PORT", "9999"))
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	if strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "default 8080") {
		t.Errorf("help text should show the default port, not the environment's:\n%v", err)
	}
}

func TestConfigAddr(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		c    Config
		want string
	}{
		{Config{Port: 8080}, ":8080"},
		{Config{Host: "127.0.0.1", Port: 9}, "127.0.0.1:9"},
		{Config{Host: "::1", Port: 80}, "[::1]:80"},
	} {
		if got := tt.c.Addr(); got != tt.want {
			t.Errorf("%+v.Addr() = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestEnvVars(t *testing.T) {
	t.Parallel()
	want := "LISTEN_HOST PORT PROPAGATION_DELAY DRAIN_TIMEOUT MIGRATION_DELAY REDIS_ADDR"
	if got := strings.Join(EnvVars(), " "); got != want {
		t.Errorf("EnvVars() = %s, want %s", got, want)
	}
}

func ExampleParseConfig() {
	getenv := func(k string) string { return map[string]string{"PROPAGATION_DELAY": "2s"}[k] }
	cfg, err := ParseConfig("orders", []string{"-port", "9000"}, getenv)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Addr(), cfg.PropagationDelay, cfg.DrainTimeout)

	_, err = ParseConfig("orders", nil, func(k string) string { return map[string]string{"DRAIN_TIMEOUT": "soon"}[k] })
	fmt.Println(err)
	// Output:
	// :9000 2s 20s
	// DRAIN_TIMEOUT: want a positive duration such as 5s, got "soon"
}
