// Package chihealth is part of probekit; see the repository README.
package chihealth
