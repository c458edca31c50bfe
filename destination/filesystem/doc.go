// Package filesystem is the file destination: it writes each load package
// as Parquet (the default), JSONL or CSV files in a local folder, and
// builds DuckDB views that read the files back with the write
// dispositions applied.
//
// # Layout
//
// Under the bucket folder each dataset has its own folder:
//
//	<bucket>/<dataset>/<table>/<load_id>.<file_id>.<ext>       data files
//	<bucket>/<dataset>/_rl_version/<hash>.json                 schema versions
//	<bucket>/<dataset>/_rl_pipeline_state/<load_id>.json       pipeline state
//	<bucket>/<dataset>/_rl_loads/<load_id>.json                load records
//	<bucket>/<dataset>/_rl_deleted/<load_id>.<file_id>.<ext>   deleted keys
//
// A load writes and syncs its data, key, state and schema files first and
// its load record last, by renaming a synced temporary file. The record is
// the commit point: a data, key or state file whose load id has no record
// belongs to a load that did not finish. Readers ignore such files, and
// the next Load deletes them before it writes anything. One process at a
// time may load into a dataset.
//
// Root table files carry columns beyond the schema, which readers use to
// order and filter rows. _rl_load_id is written also when the schema
// lacks it. _rl_seq is the order of the row in its package. Tables with a
// hard delete column get _rl_hard_delete, which is true on the rows that
// the hard delete column of the package's schema marks as deletes.
//
// # Reader rules
//
// A load record lists its data files with their columns. Views, and any
// other reader, apply these rules to the files of committed loads:
//
//   - replace: the record lists the root tables that the load replaced.
//     A table tree shows only the files of the newest load that replaced
//     it and of later loads. A table dropped by a load (Package.Drop)
//     likewise shows only the files of that load and of later ones.
//     Older files stay on disk.
//   - append: every file counts.
//   - merge: files cannot be updated in place, so a merge load writes the
//     package's rows like append. Per primary key the current row is the
//     one of the newest load. Within one load it is the one that the
//     dedup sort column ranks first, then the one with the highest
//     _rl_seq.
//     With a merge key, a row counts only when no later load has a row
//     with the same merge key value. A current row whose _rl_hard_delete
//     is true hides its object. Child rows count when their _rl_root_id is the
//     _rl_id of a current root row. Both merge strategies read the same
//     way, so an upserted object gets the _rl_id of its newest row
//     instead of keeping its first one. A merge table without primary or
//     merge key is appended to.
//   - soft delete: the record lists the root tables that the package
//     listed in full (Package.Complete), and the key files of its
//     Package.Deletes, which hold the primary key columns and
//     _rl_load_id. The _rl_deleted_at of a current row is the earliest
//     creation time of two kinds of loads: the complete loads after the
//     row's own load, and the loads from the row's own on whose key
//     files hold the row's key. It is NULL when there is no such load.
//   - history: every load writes its rows with _rl_valid_from set to the
//     package's creation time. Per primary key and load the row that
//     merge would keep counts. With retire_absent, the record lists the
//     root tables that the load covered, and the first covering load
//     after a counted row of a key and before the key's next one counts
//     as a hard delete of the key at that load's creation time. A row
//     starts a version when the previous counted row of its key is
//     missing or a hard delete, or has another _rl_row_hash. A version's
//     _rl_valid_to is the _rl_valid_from of the next version start or
//     hard delete of its key.
//
// The state file holds the package's state byte for byte; its version
// number is in the load record. Views returns DuckDB statements that
// create one view per table with these rules applied, and a view
// _rl_loads of the committed loads.
package filesystem
