// Package echohealth is part of probekit; see the repository README.
package echohealth
