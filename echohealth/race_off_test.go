//go:build !race

package echohealth_test

const raceEnabled = false
