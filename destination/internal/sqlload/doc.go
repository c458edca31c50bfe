// Package sqlload contains what the DuckDB and PostgreSQL destinations
// share to load a package. Stage, ReadObject and Convert read the rows of
// job files. Writer runs the statements that move staged rows into a
// dataset by write disposition (append, replace, merge by delete-insert
// or upsert, history), mark deleted rows, and write the bookkeeping rows
// of a load to _rl_loads, _rl_pipeline_state and _rl_version. Reader
// reads those rows back.
//
// A destination opens the transaction and fills the staging tables its
// own way (DuckDB's appender, PostgreSQL's COPY). It then hands a Writer
// the transaction, the staged tables and a Dialect that spells what
// differs between the databases: placeholders, type names, temporary
// tables, the query that keeps one row per key, and the catalog lookup.
// Every statement runs through the Writer's Querier, so the whole load
// stays in the destination's transaction.
package sqlload
