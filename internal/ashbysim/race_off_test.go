//go:build !race

package ashbysim_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
