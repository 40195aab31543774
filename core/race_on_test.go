//go:build race

package core

// raceEnabled: the race detector instruments memory accesses and may
// allocate, so allocation counts are not meaningful under it.
const raceEnabled = true
