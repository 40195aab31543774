package demo

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config is what every example reads from its flags and environment. A flag
// overrides the environment variable, which overrides the default.
type Config struct {
	// Host is the address to listen on (-listen-host, LISTEN_HOST; not
	// HOST, which dev shells often export with the machine's name).
	// Default: empty, every interface, as a container needs; tests use
	// 127.0.0.1.
	Host string
	// Port is the TCP port to listen on (-port, PORT). Default: 8080.
	Port int
	// PropagationDelay is how long the service keeps serving, with readiness
	// already failing, after SIGTERM (-propagation-delay, PROPAGATION_DELAY).
	// Default: 5s.
	PropagationDelay time.Duration
	// QuietPeriod turns on the adaptive propagation delay
	// (core.Options.QuietPeriod): after PropagationDelay the service keeps
	// serving until no request has arrived for QuietPeriod, at most until
	// PropagationDelayMax (-quiet-period, QUIET_PERIOD). Default: 0, off,
	// the fixed PropagationDelay alone. Set it with PropagationDelayMax,
	// and below it.
	QuietPeriod time.Duration
	// PropagationDelayMax caps the adaptive propagation delay
	// (core.Options.PropagationDelayMax; -propagation-delay-max,
	// PROPAGATION_DELAY_MAX). Required with QuietPeriod, at least
	// PropagationDelay; it, not PropagationDelay, counts in the grace
	// period then. Default: 0, as QuietPeriod's.
	PropagationDelayMax time.Duration
	// DrainTimeout bounds the wait for in-flight requests once the listener
	// is closed (-drain-timeout, DRAIN_TIMEOUT). Default: 20s.
	DrainTimeout time.Duration
	// MigrationDelay is how long the simulated schema migrations take, the
	// startup phase during which /startupz answers 503 (-migration-delay,
	// MIGRATION_DELAY). Zero is allowed. Default: 2s.
	MigrationDelay time.Duration
	// RedisAddr is the host:port of the optional Redis (-redis-addr,
	// REDIS_ADDR). Default: 127.0.0.1:6379. When nothing answers there the
	// service is degraded, and stays ready.
	RedisAddr string
}

// Defaults of Config; see its fields.
const (
	DefaultPort             = 8080
	DefaultPropagationDelay = 5 * time.Second
	DefaultDrainTimeout     = 20 * time.Second
	DefaultMigrationDelay   = 2 * time.Second
	DefaultRedisAddr        = "127.0.0.1:6379"
)

// Addr returns the listen address, host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// EnvVars returns the names of the environment variables ParseConfig reads.
func EnvVars() []string {
	var names []string
	for _, s := range settings(&Config{}) {
		names = append(names, s.env)
	}
	return names
}

// setting is one configuration value, read from a flag or from the
// environment, and parsed and validated by the same function either way.
type setting struct {
	flag, env, usage string
	def              string // the default as -h shows it; "" shows none
	set              func(string) error
}

// ParseConfig reads the configuration of the example called name from args
// (without the program name) and getenv (os.Getenv in a real program). The
// error names the flag or variable at fault; it wraps flag.ErrHelp for -h.
func ParseConfig(name string, args []string, getenv func(string) string) (Config, error) {
	c := Config{
		Port:             DefaultPort,
		PropagationDelay: DefaultPropagationDelay,
		DrainTimeout:     DefaultDrainTimeout,
		MigrationDelay:   DefaultMigrationDelay,
		RedisAddr:        DefaultRedisAddr,
	}
	all := settings(&c)
	for _, s := range all {
		if v := getenv(s.env); v != "" {
			if err := s.set(v); err != nil {
				return Config{}, fmt.Errorf("%s: %w", s.env, err)
			}
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the caller prints the returned error
	for _, s := range all {
		fs.Func(s.flag, s.help(), s.set)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, fmt.Errorf("%w\n%s", err, usage(fs))
		}
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := c.checkAdaptiveDelay(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// checkAdaptiveDelay holds QuietPeriod and PropagationDelayMax, wherever
// they came from, to the rules of core.Options (see core.New), so that a
// bad pair is an error naming the settings at start, not core's error
// naming its fields.
func (c Config) checkAdaptiveDelay() error {
	const (
		quiet  = "-quiet-period/QUIET_PERIOD"
		capped = "-propagation-delay-max/PROPAGATION_DELAY_MAX"
	)
	switch {
	case c.QuietPeriod == 0 && c.PropagationDelayMax == 0:
		return nil // the fixed delay
	case c.QuietPeriod == 0:
		return fmt.Errorf("%s (%v) is set without %s: it caps the adaptive delay only", capped, c.PropagationDelayMax, quiet)
	case c.PropagationDelayMax == 0:
		return fmt.Errorf("%s (%v) needs %s: the adaptive delay must have a cap that fits the grace period", quiet, c.QuietPeriod, capped)
	case c.PropagationDelayMax < c.PropagationDelay:
		return fmt.Errorf("%s (%v) is below -propagation-delay/PROPAGATION_DELAY (%v)", capped, c.PropagationDelayMax, c.PropagationDelay)
	case c.QuietPeriod >= c.PropagationDelayMax:
		return fmt.Errorf("%s (%v) is not below %s (%v): the wait could never end quiet", quiet, c.QuietPeriod, capped, c.PropagationDelayMax)
	}
	return nil
}

// settings returns every setting, each writing its parsed value into c.
func settings(c *Config) []setting {
	return []setting{
		{"listen-host", "LISTEN_HOST", "address to listen on; empty for every interface", "", func(s string) error {
			if strings.ContainsAny(s, ":/ ") && net.ParseIP(s) == nil {
				return fmt.Errorf("want a host name or IP address, got %q", s)
			}
			c.Host = s
			return nil
		}},
		{"port", "PORT", "TCP port to listen on", strconv.Itoa(DefaultPort), func(s string) error {
			p, err := strconv.Atoi(s)
			if err != nil || p < 1 || p > 65535 {
				return fmt.Errorf("want an integer in [1, 65535], got %q", s)
			}
			c.Port = p
			return nil
		}},
		{"propagation-delay", "PROPAGATION_DELAY", "how long to keep serving, not ready, after SIGTERM", DefaultPropagationDelay.String(), positive(&c.PropagationDelay)},
		{"quiet-period", "QUIET_PERIOD", "adaptive propagation delay: after -propagation-delay, serve on until no request came for this long, 0 for off (needs -propagation-delay-max)", "0s", nonNegative(&c.QuietPeriod)},
		{"propagation-delay-max", "PROPAGATION_DELAY_MAX", "cap of the adaptive propagation delay (needs -quiet-period)", "0s", nonNegative(&c.PropagationDelayMax)},
		{"drain-timeout", "DRAIN_TIMEOUT", "how long to wait for in-flight requests at shutdown", DefaultDrainTimeout.String(), positive(&c.DrainTimeout)},
		{"migration-delay", "MIGRATION_DELAY", "how long the simulated migrations take (startup phase)", DefaultMigrationDelay.String(), nonNegative(&c.MigrationDelay)},
		{"redis-addr", "REDIS_ADDR", "host:port of the optional Redis", DefaultRedisAddr, func(s string) error {
			if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
				return fmt.Errorf("want host:port, got %q", s)
			}
			c.RedisAddr = s
			return nil
		}},
	}
}

// help is the usage line of s: what it sets, where else it can come from,
// and its default. The default is the constant, not the value the
// environment may have set, which the user can read from their shell.
func (s setting) help() string {
	h := s.usage + " (env " + s.env
	if s.def != "" {
		h += ", default " + s.def
	}
	return h + ")"
}

// positive returns a setter for a duration that must be > 0.
func positive(d *time.Duration) func(string) error {
	return func(s string) error {
		v, err := time.ParseDuration(s)
		if err != nil || v <= 0 {
			return fmt.Errorf("want a positive duration such as 5s, got %q", s)
		}
		*d = v
		return nil
	}
}

// nonNegative returns a setter for a duration that must be >= 0.
func nonNegative(d *time.Duration) func(string) error {
	return func(s string) error {
		v, err := time.ParseDuration(s)
		if err != nil || v < 0 {
			return fmt.Errorf("want a duration >= 0 such as 2s, got %q", s)
		}
		*d = v
		return nil
	}
}

func usage(fs *flag.FlagSet) string {
	var b []byte
	fs.VisitAll(func(f *flag.Flag) {
		b = fmt.Appendf(b, "  -%s\t%s\n", f.Name, f.Usage)
	})
	return string(b)
}
