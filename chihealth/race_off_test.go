//go:build !race

package chihealth_test

const raceEnabled = false
