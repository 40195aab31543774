//go:build !race

package fiberhealth_test

const raceEnabled = false
