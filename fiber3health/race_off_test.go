//go:build !race

package fiber3health_test

const raceEnabled = false
