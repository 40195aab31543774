module github.com/probekit/probekit/breaker

go 1.25

require (
	github.com/cenkalti/backoff/v5 v5.0.3
	github.com/probekit/probekit/core v0.1.0
	github.com/sony/gobreaker/v2 v2.4.0
	go.uber.org/goleak v1.3.0
)
