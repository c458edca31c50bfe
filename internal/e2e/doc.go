// Package e2e holds the end-to-end tests of restload: the Ashby emulator
// over loopback HTTP, the pipeline and the restload binary, loading real
// DuckDB files that the tests then query and compare with the emulator's
// data. It has no code besides the tests.
package e2e
