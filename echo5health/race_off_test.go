//go:build !race

package echo5health_test

const raceEnabled = false
