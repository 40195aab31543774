module github.com/probekit/probekit/openfeaturehealth

go 1.26.0

require (
	github.com/open-feature/go-sdk v1.20.0
	github.com/probekit/probekit/core v0.1.0
	go.uber.org/goleak v1.3.0
)

require go.uber.org/mock v0.6.0 // indirect

