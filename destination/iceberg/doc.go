// Package iceberg is the Iceberg destination: it loads normalized load
// packages into Apache Iceberg tables in a local warehouse folder,
// through github.com/apache/iceberg-go. Each dataset is a namespace and
// each table of the schema is one Iceberg table, as are the system
// tables _rl_loads, _rl_pipeline_state and _rl_version.
//
// # Catalogs
//
// Config.Catalog chooses the catalog. The default, "sql", keeps it in
// the SQLite file catalog.sqlite in the warehouse, through a pure-Go
// SQLite driver. The "filesystem" catalog keeps it as versioned
// metadata files next to the data, with no database.
//
// # Commit protocol
//
// Neither catalog commits several tables atomically in iceberg-go
// v0.7.0 (only its REST catalog does), so one package is several
// Iceberg commits, in this order:
//  1. tables that the package drops;
//  2. each data table of the schema, one commit each, holding its
//     schema change and its rows as one snapshot whose summary property
//     restload.load-id (PropLoadID) names the package;
//  3. the state row in _rl_pipeline_state and the schema row in
//     _rl_version, each tagged with the load id;
//  4. the row in _rl_loads: the commit point.
//
// Every input check runs before the first commit: job files are parsed
// and typed, keys checked and type changes that Iceberg cannot make
// rejected. HasLoad, State and Schema read only rows whose load id
// _rl_loads records. Views read each table at its newest snapshot whose
// load id _rl_loads records, so a load that stopped between commits
// stays invisible. Loading the package again finishes it: a table whose
// current snapshot carries the load id is skipped, and the other tables
// are planned from the snapshots before the package, so appends are not
// doubled and merges give the same rows.
//
// # Write dispositions
//
// The semantics equal those of the DuckDB and PostgreSQL destinations:
//   - append adds data files.
//   - replace overwrites every table of the tree in one snapshot each.
//   - merge reads the _rl_id and keys of the stored root rows, then
//     overwrites with a filter on _rl_id (root) and _rl_root_id (child
//     tables). iceberg-go rewrites only the data files that hold
//     matching rows (copy-on-write) and adds the new rows in the same
//     snapshot. Upsert keeps the stored _rl_id and relinks child rows.
//   - soft delete, in a package that lists a resource in full, and
//     history rewrite the root table in full. The keys of
//     Package.Deletes rewrite the root rows that they mark, in the same
//     snapshot as the package's rows of that table.
//
// Tables are created with copy-on-write delete, update and merge modes,
// so their snapshots never hold delete files.
//
// # Types and schema evolution
//
// Column types map to string (text and json), long, double,
// decimal(38,9), boolean, timestamptz (microseconds), date and binary.
// Every column is optional. New columns are added; int, float and
// decimal columns made by other writers are widened to long, double and
// a wider decimal. Any other type change fails the load with the column
// named; the normalizer sends values of a new type to variant columns,
// so it does not happen in normal use.
//
// # Reading
//
// Views returns DuckDB statements that create one view per table over
// read_parquet of the table's data files, so DuckDB needs no iceberg
// extension and downloads nothing.
package iceberg
