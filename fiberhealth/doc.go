// Package fiberhealth is part of probekit; see the repository README.
package fiberhealth
