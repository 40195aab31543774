module github.com/probekit/probekit/echo5health

go 1.26.0

require (
	github.com/labstack/echo/v5 v5.4.4
	github.com/probekit/probekit/core v0.1.0
	go.uber.org/goleak v1.3.0
)

require golang.org/x/time v0.15.0 // indirect

