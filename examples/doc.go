// Package examples is part of probekit; see the repository README.
package examples
