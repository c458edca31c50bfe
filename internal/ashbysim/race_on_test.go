//go:build race

package ashbysim_test

// raceEnabled reports whether the race detector is on; it slows the
// emulator about tenfold, so the large listing shrinks under it.
const raceEnabled = true
