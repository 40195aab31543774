// Package breaker is part of probekit; see the repository README.
package breaker
