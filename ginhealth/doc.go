// Package ginhealth is part of probekit; see the repository README.
package ginhealth
