package fleettest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/probekit/probekit/core"
	"github.com/redis/go-redis/v9"
)

// The environment that makes the test binary a replica (child) rather than
// the test: the Redis address (the fault proxy's) and the key prefix.
const (
	envRedis  = "FLEETTEST_REDIS"
	envPrefix = "FLEETTEST_PREFIX"
)

// The replicas' breaker: open for 200ms after 3 failures fleet-wide; a
// trial claim held by a dead replica expires after 500ms; Redis operations
// time out after 250ms.
var childSettings = breaker.Settings{
	FailureThreshold: 3,
	OpenTimeout:      200 * time.Millisecond,
	Retry:            breaker.Retry{MaxAttempts: 1},
}

var errDown = core.Unhealthy("payments API down", nil)

// runChild is a replica: it answers commands read line by line from stdin,
// one line each on stdout, and exits when stdin ends (the test, its
// parent, closed it or died).
//
//	fail   a call that fails     → "ok", "failed", "open", "busy" or an error
//	ok     a call that succeeds  → the same
//	hang   a call that never returns; "calling" once it is in the dependency
//	state  → "<state> <mode> <Check reason>"
func runChild() int {
	client := redis.NewClient(&redis.Options{
		Addr: os.Getenv(envRedis), ContextTimeoutEnabled: true, MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond,
	})
	defer client.Close()
	f, err := breakerredis.New(client, "payments", childSettings, breakerredis.Options{
		Prefix: os.Getenv(envPrefix), TrialTimeout: 500 * time.Millisecond,
		// Above the 50ms default, so that a loaded test machine running
		// the race detector does not flap between modes.
		Timeout: 250 * time.Millisecond,
	})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer f.Close()
	b := f.Breaker()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch cmd := in.Text(); cmd {
		case "fail", "ok":
			var want error
			if cmd == "fail" {
				want = errDown
			}
			fmt.Println(verdict(b.Do(context.Background(), func(context.Context) error { return want })))
		case "hang":
			go func() {
				_ = b.Do(context.Background(), func(context.Context) error {
					fmt.Println("calling")
					select {} // until the process dies
				})
			}()
		case "state":
			fmt.Println(b.State(), f.Stats().Mode, core.Reason(b.Check()(context.Background())))
		default:
			fmt.Println("unknown command", cmd)
		}
	}
	if err := in.Err(); err != nil && !errors.Is(err, io.EOF) {
		return 1
	}
	return 0
}

func verdict(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errDown):
		return "failed"
	case errors.Is(err, breaker.ErrOpen):
		return "open"
	case errors.Is(err, breaker.ErrTooManyRequests):
		return "busy"
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
