module github.com/probekit/probekit/chihealth

go 1.25

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/probekit/probekit/core v0.1.0
	go.uber.org/goleak v1.3.0
)
