package integration_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// BenchmarkMessageQueueChecks measures one run of each message-queue check
// against the real server, next to its baseline: a TCP check (dial and
// close) of the same server, the least a run can cost. The difference is
// the protocol's handshake.
func BenchmarkMessageQueueChecks(b *testing.B) {
	for _, bc := range []struct {
		name, env string
		check     func(addr string) (core.CheckFunc, error)
	}{
		{"nats", "PROBEKIT_NATS_ADDR", func(addr string) (core.CheckFunc, error) {
			return checks.NATS(addr, checks.NATSOptions{})
		}},
		{"amqp", "PROBEKIT_AMQP_ADDR", func(addr string) (core.CheckFunc, error) {
			return checks.AMQP(addr, checks.AMQPOptions{})
		}},
		{"mqtt311", "PROBEKIT_MQTT_ADDR", func(addr string) (core.CheckFunc, error) {
			return checks.MQTT(addr, checks.MQTTOptions{})
		}},
		{"mqtt5", "PROBEKIT_MQTT_ADDR", func(addr string) (core.CheckFunc, error) {
			return checks.MQTT(addr, checks.MQTTOptions{Version: checks.MQTT5})
		}},
	} {
		addr := serverSetting(bc.env)
		if c, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
			b.Logf("%s: %s unreachable; skipping its benchmarks", bc.env, addr)
			continue
		} else {
			c.Close()
		}
		protocol, err := bc.check(addr)
		if err != nil {
			b.Fatal(err)
		}
		baseline, err := checks.TCP(addr, checks.TCPOptions{Name: bc.name})
		if err != nil {
			b.Fatal(err)
		}
		for _, run := range []struct {
			name  string
			check core.CheckFunc
		}{{bc.name + "/tcp-baseline", baseline}, {bc.name + "/protocol", protocol}} {
			b.Run(run.name, func(b *testing.B) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				b.ReportAllocs()
				for b.Loop() {
					if err := run.check(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
