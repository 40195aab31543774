//go:build race

package core

// raceEnabled: the race detector instruments memory accesses and makes
// sync.Pool drop items at random, so allocation counts are not stable
// under it.
const raceEnabled = true
