// Package pipeline runs a source into a destination through load packages
// on disk, so that every object arrives exactly once even when the process
// is killed at any point.
//
// A run has three steps. Extract writes each resource's items as raw JSON
// lines into a new package folder, together with the state (cursors, sync
// tokens) that the package advances. Normalize turns those items into rows
// of root and child tables and grows the schema. Load hands the package to
// the destination, which applies rows, schema, state and the load record in
// one transaction. A package moves between steps by an atomic rename of its
// manifest, and the local copy of the state is written only after the
// destination committed, so the destination is the source of truth: a run
// with an empty working folder restores state and schema from it.
//
// A run first finishes the packages that an interrupted run left behind,
// then extracts new data starting from the state they committed.
package pipeline
