// Package integration is part of probekit; see the repository README.
package integration
