module github.com/probekit/probekit/examples

go 1.25

require github.com/probekit/probekit/core v0.0.0

replace github.com/probekit/probekit/core => ../core
