package checks_test

import (
	"crypto/tls"
	"fmt"
	"log"
	"os"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// A NATS server that requires a token: each run reads INFO, sends CONNECT
// and PING, and expects PONG. The token never shows up in probe responses
// or logs.
func ExampleNATS() {
	events, err := checks.NATS("nats.internal:4222", checks.NATSOptions{
		Name:  "events",
		Token: os.Getenv("NATS_TOKEN"),
		TLS:   &tls.Config{MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "events", Check: events})
}

// Constructors refuse a URL where an address belongs, without repeating
// it: it may hold a password.
func ExampleNATS_url() {
	_, err := checks.NATS("nats://app:s3cret@nats.internal:4222", checks.NATSOptions{})
	fmt.Println(err)
	// Output:
	// checks: NATS: address must be host:port, not a URL; it has a scheme ("://") and is not echoed: pass the URL's host:port only; pass credentials in NATSOptions.Username and Password, or Token
}

// A RabbitMQ virtual host: each run logs in with SASL PLAIN, opens the
// vhost and closes the connection cleanly. A wrong password and a missing
// vhost fail with different reasons.
func ExampleAMQP() {
	orders, err := checks.AMQP("rabbitmq.internal:5672", checks.AMQPOptions{
		Name:     "rabbitmq",
		Username: "orders",
		Password: os.Getenv("RABBITMQ_PASSWORD"),
		VHost:    "orders",
	})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "rabbitmq", Check: orders})
}

// An MQTT 5 broker over TLS, optional: when it is down, the service reports
// degraded and stays ready. Each run connects with a fresh client
// identifier and a clean session, and says DISCONNECT.
func ExampleMQTT() {
	broker, err := checks.MQTT("broker.internal:8883", checks.MQTTOptions{
		Name:     "telemetry",
		Version:  checks.MQTT5,
		Username: "health",
		Password: os.Getenv("MQTT_PASSWORD"),
		TLS:      &tls.Config{MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := newRegistry()
	_ = h.Register(core.Check{Name: "telemetry", Check: broker, Optional: true})
}
