//go:build !race

package ginhealth_test

const raceEnabled = false
