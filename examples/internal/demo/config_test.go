package demo

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
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
		{
			name: "adaptive delay from the environment",
			env:  env("QUIET_PERIOD", "2s", "PROPAGATION_DELAY_MAX", "30s"),
			want: with(func(c *Config) { c.QuietPeriod, c.PropagationDelayMax = 2*time.Second, 30*time.Second }),
		},
		{
			name: "adaptive delay from flags",
			args: []string{"-quiet-period", "1s", "-propagation-delay-max=20s"},
			env:  env(),
			want: with(func(c *Config) { c.QuietPeriod, c.PropagationDelayMax = time.Second, 20*time.Second }),
		},
		{
			// The pair is checked once both sources are read.
			name: "adaptive delay, one from each source",
			args: []string{"-propagation-delay-max", "30s"},
			env:  env("QUIET_PERIOD", "2s"),
			want: with(func(c *Config) { c.QuietPeriod, c.PropagationDelayMax = 2*time.Second, 30*time.Second }),
		},
		{
			name: "adaptive delay with its maximum at the minimum",
			env:  env("PROPAGATION_DELAY", "10s", "QUIET_PERIOD", "1s", "PROPAGATION_DELAY_MAX", "10s"),
			want: with(func(c *Config) {
				c.PropagationDelay, c.QuietPeriod, c.PropagationDelayMax = 10*time.Second, time.Second, 10*time.Second
			}),
		},
		{name: "zero QUIET_PERIOD and PROPAGATION_DELAY_MAX: fixed delay", env: env("QUIET_PERIOD", "0s", "PROPAGATION_DELAY_MAX", "0"), want: def},
		{name: "bad QUIET_PERIOD", env: env("QUIET_PERIOD", "2"), wantErr: `QUIET_PERIOD: want a duration >= 0 such as 2s, got "2"`},
		{name: "negative QUIET_PERIOD", env: env("QUIET_PERIOD", "-1s"), wantErr: `QUIET_PERIOD: want a duration >= 0 such as 2s, got "-1s"`},
		{name: "bad PROPAGATION_DELAY_MAX", env: env("PROPAGATION_DELAY_MAX", "soon"), wantErr: `PROPAGATION_DELAY_MAX: want a duration >= 0 such as 2s, got "soon"`},
		{name: "bad -quiet-period", args: []string{"-quiet-period", "x"}, env: env(), wantErr: `invalid value "x" for flag -quiet-period: want a duration >= 0`},
		{
			name:    "QUIET_PERIOD without PROPAGATION_DELAY_MAX",
			env:     env("QUIET_PERIOD", "2s"),
			wantErr: "-quiet-period/QUIET_PERIOD (2s) needs -propagation-delay-max/PROPAGATION_DELAY_MAX",
		},
		{
			name:    "PROPAGATION_DELAY_MAX without QUIET_PERIOD",
			env:     env("PROPAGATION_DELAY_MAX", "30s"),
			wantErr: "-propagation-delay-max/PROPAGATION_DELAY_MAX (30s) is set without -quiet-period/QUIET_PERIOD",
		},
		{
			name:    "PROPAGATION_DELAY_MAX below the default PROPAGATION_DELAY",
			env:     env("QUIET_PERIOD", "1s", "PROPAGATION_DELAY_MAX", "4s"),
			wantErr: "-propagation-delay-max/PROPAGATION_DELAY_MAX (4s) is below -propagation-delay/PROPAGATION_DELAY (5s)",
		},
		{
			name:    "PROPAGATION_DELAY_MAX below a flag's PROPAGATION_DELAY",
			args:    []string{"-propagation-delay", "10s"},
			env:     env("QUIET_PERIOD", "1s", "PROPAGATION_DELAY_MAX", "9s"),
			wantErr: "-propagation-delay-max/PROPAGATION_DELAY_MAX (9s) is below -propagation-delay/PROPAGATION_DELAY (10s)",
		},
		{
			name:    "QUIET_PERIOD not below PROPAGATION_DELAY_MAX",
			env:     env("QUIET_PERIOD", "30s", "PROPAGATION_DELAY_MAX", "30s"),
			wantErr: "-quiet-period/QUIET_PERIOD (30s) is not below -propagation-delay-max/PROPAGATION_DELAY_MAX (30s)",
		},
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
	for _, name := range []string{"-listen-host", "-port", "-propagation-delay", "-quiet-period", "-propagation-delay-max", "-drain-timeout", "-migration-delay", "-redis-addr", "PROPAGATION_DELAY"} {
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
		"-quiet-period\tadaptive propagation delay: after -propagation-delay, serve on until no request came for this long, 0 for off (needs -propagation-delay-max) (env QUIET_PERIOD, default 0s)\n",
		"-propagation-delay-max\tcap of the adaptive propagation delay (needs -quiet-period) (env PROPAGATION_DELAY_MAX, default 0s)\n",
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
	want := "LISTEN_HOST PORT PROPAGATION_DELAY QUIET_PERIOD PROPAGATION_DELAY_MAX DRAIN_TIMEOUT MIGRATION_DELAY REDIS_ADDR"
	if got := strings.Join(EnvVars(), " "); got != want {
		t.Errorf("EnvVars() = %s, want %s", got, want)
	}
}

// ParseConfig accepts exactly the propagation delays core.New accepts, so
// that a pair it lets through does not fail at start with core's error
// naming Options fields instead of the settings.
func TestParseConfigAdaptiveDelayAsCore(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.DiscardHandler)
	for _, delay := range []time.Duration{time.Second, DefaultPropagationDelay, 10 * time.Second} {
		for _, period := range []time.Duration{0, time.Second, 5 * time.Second, 10 * time.Second} {
			for _, maximum := range []time.Duration{0, 4 * time.Second, 5 * time.Second, 9 * time.Second, 30 * time.Second} {
				getenv := env("PROPAGATION_DELAY", delay.String(), "QUIET_PERIOD", period.String(), "PROPAGATION_DELAY_MAX", maximum.String())
				_, parseErr := ParseConfig("test", nil, getenv)
				h, coreErr := core.New(core.Options{Logger: quiet, PropagationDelay: delay, QuietPeriod: period, PropagationDelayMax: maximum})
				if coreErr == nil {
					_ = h.Close()
				}
				if (parseErr == nil) != (coreErr == nil) {
					t.Errorf("PROPAGATION_DELAY=%v QUIET_PERIOD=%v PROPAGATION_DELAY_MAX=%v: ParseConfig: %v; core.New: %v",
						delay, period, maximum, parseErr, coreErr)
				}
			}
		}
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
