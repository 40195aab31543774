module github.com/probekit/probekit/core

go 1.25
