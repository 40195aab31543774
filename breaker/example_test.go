package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/core"
)

// errRefused is what a dial to a database that is down returns.
var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}

// logger prints the registry's log lines without timestamps, so that the
// examples' output is stable.
func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch {
			case a.Key == slog.TimeKey:
				return slog.Attr{}
			case a.Value.Kind() == slog.KindString:
				return slog.String(a.Key, withoutTime(a.Value.String()))
			}
			return a
		},
	}))
}

var timestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// withoutTime hides the timestamps in health messages, for stable output.
func withoutTime(s string) string { return timestamp.ReplaceAllString(s, "<time>") }

// A Postgres query guarded by a breaker, and the readiness check that
// reports what the queries found. countOrders stands in for
// db.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n); this
// module depends on no database driver.
func Example() {
	ctx := context.Background()
	h, _ := core.New(core.Options{Service: "orders", Logger: logger()})
	pg, err := breaker.New("postgres", breaker.Settings{
		FailureThreshold: 2,
		Retry:            breaker.Retry{InitialInterval: time.Millisecond},
		Notify:           h.Notify, // one log line per breaker state change
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = h.Register(core.Check{Name: "postgres", Check: pg.Check()})

	var dbDown atomic.Bool
	countOrders := func(ctx context.Context) (int, error) {
		if dbDown.Load() {
			return 0, errRefused
		}
		return 42, nil
	}

	n, err := breaker.Call(ctx, pg, countOrders)
	fmt.Println("orders:", n, err)

	dbDown.Store(true)
	_, err = breaker.Call(ctx, pg, countOrders) // fails twice: the breaker opens
	fmt.Println("query:", err)
	_, err = breaker.Call(ctx, pg, countOrders) // fails at once, no query
	fmt.Println("query:", err, errors.Is(err, breaker.ErrOpen))

	rep, _ := h.Evaluate(ctx, core.Readiness)
	fmt.Println("readyz:", rep.Status, withoutTime(rep.Checks[0].Message))
	// Output:
	// orders: 42 <nil>
	// level=WARN msg="probekit: breaker open" component=breaker name=postgres from=closed to=open reason="2 consecutive failures: connection refused"
	// query: dial tcp: connect: connection refused (after 2 attempts)
	// query: breaker postgres: circuit breaker is open true
	// level=INFO msg="probekit: lifecycle ready" component=lifecycle name=orders from=starting to=ready reason="startup checks passed"
	// level=WARN msg="probekit: check unavailable" component=check name=postgres from=unknown to=unavailable reason="open since <time> after 2 consecutive failures: connection refused" error="open since <time> after 2 consecutive failures: connection refused: dial tcp: connect: connection refused"
	// readyz: unavailable open since <time> after 2 consecutive failures: connection refused
}

// Guard keeps readiness probes off a database that is down: once the
// breaker opens, the probe answers from it without pinging.
func ExampleBreaker_Guard() {
	ctx := context.Background()
	h, _ := core.New(core.Options{Service: "orders", Logger: slog.New(slog.DiscardHandler)})
	probe, _ := breaker.New("postgres-probe", breaker.Settings{FailureThreshold: 1, OpenTimeout: time.Minute})

	var pings atomic.Int32
	ping := func(ctx context.Context) error { // stands in for db.PingContext
		pings.Add(1)
		return errRefused
	}
	_ = h.Register(core.Check{Name: "postgres", Check: probe.Guard(ping)})

	for range 3 {
		rep, _ := h.Evaluate(ctx, core.Readiness)
		fmt.Println(rep.Status, withoutTime(rep.Checks[0].Message))
	}
	fmt.Println("pings:", pings.Load())
	// Output:
	// unavailable connection refused
	// unavailable open since <time> after 1 consecutive failure: connection refused
	// unavailable open since <time> after 1 consecutive failure: connection refused
	// pings: 1
}

// Permanent marks an error that retrying cannot fix.
func ExamplePermanent() {
	api, _ := breaker.New("payments", breaker.Settings{})
	calls := 0
	err := api.Do(context.Background(), func(ctx context.Context) error {
		calls++
		return breaker.Permanent(errors.New("402 payment required"))
	})
	fmt.Println(err, "after", calls, "call")
	// Output: 402 payment required after 1 call
}
