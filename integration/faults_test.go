package integration_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
	"github.com/probekit/probekit/integration/faultproxy"
)

// checkTimeout is the timeout of the checks that must fail in the fault
// tests: short, so that the whole matrix runs in a few seconds.
const checkTimeout = 300 * time.Millisecond

// healthyTimeout is the timeout of the runs that must pass. It is generous:
// a loaded CI machine must not turn a healthy run into a timeout.
const healthyTimeout = 10 * time.Second

// target is a real server and a check that talks to it through an address.
type target struct {
	name string
	// upstream returns the real server's address, or skips the test.
	upstream func(t *testing.T) string
	// check returns the check, pointed at addr (the proxy).
	check func(t *testing.T, addr string) core.CheckFunc
	// label is what the check's reasons start with, for addr.
	label func(addr string) string
	// chunks is how many reply chunks one run waits for, on a warm
	// connection: the latency a run adds is chunks times the proxy's.
	chunks int
	// cut is how many reply bytes pass before the proxy cuts the connection.
	cut int
	// cutReason is the reason the cut gives ("" if only the label is known).
	cutReason string
}

func sqlTarget(d database) target {
	return target{
		name: d.name,
		upstream: func(t *testing.T) string {
			addr, err := d.addr(d.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			return addr
		},
		check: func(t *testing.T, addr string) core.CheckFunc {
			dsn, err := d.withAddr(d.dsn(t), addr)
			if err != nil {
				t.Fatal(err)
			}
			return must(t)(checks.SQL(d.open(t, dsn), checks.SQLOptions{Name: d.name}))
		},
		label: func(string) string { return d.name },
		// A ping on a pooled connection, and on its first reuse pgx's
		// ResetSession pings too.
		chunks: 2,
		cut:    5, // inside the first message of the reply
	}
}

var targets = []target{
	{
		name:     "redis",
		upstream: func(t *testing.T) string { return serverAddr(t, "PROBEKIT_REDIS_ADDR") },
		check: func(t *testing.T, addr string) core.CheckFunc {
			return must(t)(checks.Redis(addr, checks.RedisOptions{}))
		},
		label:     func(addr string) string { return "redis " + addr },
		chunks:    1, // +PONG
		cut:       3, // "+PO"
		cutReason: "connection closed",
	},
	{
		name:     "nats",
		upstream: func(t *testing.T) string { return serverAddr(t, "PROBEKIT_NATS_ADDR") },
		check: func(t *testing.T, addr string) core.CheckFunc {
			return must(t)(checks.NATS(addr, checks.NATSOptions{}))
		},
		label:     func(addr string) string { return "nats " + addr },
		chunks:    2,  // INFO, then PONG
		cut:       10, // inside INFO
		cutReason: "connection closed",
	},
	{
		name:     "amqp",
		upstream: func(t *testing.T) string { return serverAddr(t, "PROBEKIT_AMQP_ADDR") },
		check: func(t *testing.T, addr string) core.CheckFunc {
			return must(t)(checks.AMQP(addr, checks.AMQPOptions{}))
		},
		label: func(addr string) string { return "amqp " + addr },
		// Connection.Start, Tune, then Open-Ok and Close-Ok (which may
		// come as one chunk or two).
		chunks:    4,
		cut:       10, // inside Connection.Start
		cutReason: "connection closed",
	},
	{
		name:     "mqtt",
		upstream: func(t *testing.T) string { return serverAddr(t, "PROBEKIT_MQTT_ADDR") },
		check: func(t *testing.T, addr string) core.CheckFunc {
			return must(t)(checks.MQTT(addr, checks.MQTTOptions{}))
		},
		label:     func(addr string) string { return "mqtt " + addr },
		chunks:    1, // CONNACK
		cut:       2, // inside the four bytes of CONNACK
		cutReason: "connection closed",
	},
	{
		name:     "mqtt5",
		upstream: func(t *testing.T) string { return serverAddr(t, "PROBEKIT_MQTT_ADDR") },
		check: func(t *testing.T, addr string) core.CheckFunc {
			return must(t)(checks.MQTT(addr, checks.MQTTOptions{Version: checks.MQTT5}))
		},
		label:     func(addr string) string { return "mqtt " + addr },
		chunks:    1,
		cut:       3,
		cutReason: "connection closed",
	},
	sqlTarget(postgres),
	sqlTarget(mariadb),
	replicationTarget(postgres),
	replicationTarget(mariadb),
}

// fixture is one target behind a fresh proxy.
type fixture struct {
	target
	proxy *faultproxy.Proxy
	check core.CheckFunc
	label string
}

func newFixture(t *testing.T, tg target) *fixture {
	t.Helper()
	p, err := faultproxy.New(tg.upstream(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &fixture{target: tg, proxy: p, check: tg.check(t, p.Addr()), label: tg.label(p.Addr())}
}

// run runs the check once with timeout and returns how long it took and
// its error.
func (f *fixture) run(timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	err := f.check(ctx)
	return time.Since(start), err
}

// healthy runs the check and fails the test unless it passes; it also warms
// connection pools, so that later runs measure one exchange.
func (f *fixture) healthy(t *testing.T) {
	t.Helper()
	if _, err := f.run(healthyTimeout); err != nil {
		t.Fatalf("healthy run through the proxy: %v", err)
	}
}

// reason returns the reason of a failed run, failing the test if it passed.
func reason(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("check passed, want a failure")
	}
	return core.Reason(err)
}

var timeoutAfter = regexp.MustCompile(`: timeout( after \d+ms)?$`)

func TestFaults(t *testing.T) {
	t.Parallel()
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()

			t.Run("refused", func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, tg)
				if err := f.proxy.Refuse(); err != nil {
					t.Fatal(err)
				}
				_, err := f.run(checkTimeout)
				if got, want := reason(t, err), f.label+": connection refused"; got != want {
					t.Fatalf("reason = %q, want %q", got, want)
				}
			})

			t.Run("accepts but never answers", func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, tg)
				if err := f.proxy.Blackhole(); err != nil {
					t.Fatal(err)
				}
				took, err := f.run(checkTimeout)
				got := reason(t, err)
				if !strings.HasPrefix(got, f.label+": ") || !timeoutAfter.MatchString(got) {
					t.Fatalf("reason = %q, want %q and a timeout", got, f.label)
				}
				// The check must end by its own deadline; the bound is
				// generous, a hang would take forever.
				if took > checkTimeout+2*time.Second {
					t.Fatalf("check took %v with a %v timeout", took, checkTimeout)
				}
			})

			t.Run("cut mid-reply", func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, tg)
				f.healthy(t)
				if err := f.proxy.CutAfter(f.cut); err != nil {
					t.Fatal(err)
				}
				_, err := f.run(checkTimeout)
				got := reason(t, err)
				if !strings.HasPrefix(got, f.label+": ") || timeoutAfter.MatchString(got) {
					t.Fatalf("reason = %q, want %q and a failure other than a timeout", got, f.label)
				}
				t.Logf("reason: %s", got)
				if f.cutReason != "" && got != f.label+": "+f.cutReason {
					t.Fatalf("reason = %q, want %q", got, f.label+": "+f.cutReason)
				}
			})

			t.Run("latency under the timeout", func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, tg)
				f.healthy(t)
				// Half the timeout in total, whatever the number of replies:
				// the other half is the margin for noise. The timeout is
				// longer than checkTimeout so that the margin is wide.
				const timeout = time.Second
				latency := timeout / time.Duration(2*f.chunks)
				if err := f.proxy.SetLatency(latency); err != nil {
					t.Fatal(err)
				}
				if _, err := f.run(timeout); err != nil {
					t.Fatalf("with %v of latency per reply and a %v timeout: %v", latency, timeout, err)
				}
			})

			t.Run("latency over the timeout", func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, tg)
				f.healthy(t)
				// One reply alone outlasts the timeout.
				if err := f.proxy.SetLatency(checkTimeout + 150*time.Millisecond); err != nil {
					t.Fatal(err)
				}
				took, err := f.run(checkTimeout)
				if got := reason(t, err); !strings.HasPrefix(got, f.label+": ") || !timeoutAfter.MatchString(got) {
					t.Fatalf("reason = %q, want %q and a timeout", got, f.label)
				}
				if took > checkTimeout+2*time.Second {
					t.Fatalf("check took %v with a %v timeout", took, checkTimeout)
				}
			})

			t.Run("recovery respects thresholds", func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, tg)
				var seen transitions
				h := newRegistry(t, core.Options{Observers: []core.Observer{&seen}})
				if err := h.Register(core.Check{
					Name: tg.name, Check: f.check, Timeout: healthyTimeout,
					FailureThreshold: 2, SuccessThreshold: 2,
				}); err != nil {
					t.Fatal(err)
				}
				refused := f.label + ": connection refused"
				steps := []struct {
					fault   func() error
					status  core.Status
					message string
				}{
					{status: core.StatusOK},
					{fault: f.proxy.Refuse, status: core.StatusOK, message: refused + " (failure 1 of 2)"},
					{status: core.StatusUnavailable, message: refused},
					{fault: f.proxy.Heal, status: core.StatusUnavailable, message: "recovering (success 1 of 2)"},
					{status: core.StatusOK},
					{status: core.StatusOK},
				}
				for i, s := range steps {
					if s.fault != nil {
						if err := s.fault(); err != nil {
							t.Fatal(err)
						}
					}
					res := evaluate(t, h)
					if res.Status != s.status || res.Message != s.message {
						t.Fatalf("step %d: %s %q, want %s %q", i, res.Status, res.Message, s.status, s.message)
					}
				}
				want := []string{"unknown->ok", "ok->unavailable", "unavailable->ok"}
				if got := seen.get(); !slices.Equal(got, want) {
					t.Fatalf("transitions = %q, want %q", got, want)
				}
			})
		})
	}
}
