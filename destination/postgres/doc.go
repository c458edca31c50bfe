// Package postgres is the PostgreSQL destination: it loads normalized
// load packages into a PostgreSQL database, one PostgreSQL schema per
// dataset, through the pgx driver.
//
// # Connecting
//
// Open takes a Config whose Credentials is a connection URL, read by the
// caller from DESTINATION__POSTGRES__CREDENTIALS:
//
//	postgresql://loader:secret@db.example.com:5432/analytics?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem
//
// Query parameters go to the driver unchanged, so the TLS options of
// libpq (sslmode, sslrootcert, sslcert, sslkey, sslpassword) apply. Open
// pings the server. Errors name the server and what to fix: an
// unreachable server, a rejected password, a missing database, or a
// missing privilege with the GRANT statement that supplies it. Messages
// and Location never contain the password.
//
// OpenDB, or DB on a Client, returns a database/sql handle for reading
// loaded data: each dataset is a schema, so a table is queried as
// "dataset"."table", with placeholders $1, $2, and so on.
//
// # Loading
//
// A package loads in one transaction: schema migration, the rows of every
// job, the pipeline state, the schema version and the row in _rl_loads
// commit together. When the loading process dies, the server rolls the
// open transaction back, so nothing of the package remains. An advisory
// lock per dataset makes loads from several processes into one dataset
// run one at a time.
//
// Job files are read in Go with a strict JSON tokenizer and copied into
// temporary staging tables with COPY in binary format (pgx CopyFrom). The
// write disposition of each root table then moves the staged rows into
// the dataset with INSERT ... SELECT, UPDATE and DELETE statements. The
// DuckDB destination runs the same statements, from package
// destination/internal/sqlload, so the semantics are equal:
//   - append inserts the rows.
//   - replace deletes all rows of the tree and inserts the new ones in
//     the same transaction, so readers see either the old or the new
//     rows, never empty tables.
//   - merge keeps, per primary key, the root row that the dedup sort
//     column ranks first (highest for desc, lowest for asc, NULLs last)
//     or, without one or on a tie, the one with the highest _rl_seq. A
//     row whose hard delete column is true (bool) or not NULL (other
//     types) deletes its object and is not inserted. The delete-insert
//     strategy deletes the stored root rows with the kept keys, or with
//     a merge key value of the package, and their child rows (by
//     _rl_root_id), then inserts the kept rows and their child rows. The
//     upsert strategy updates stored root rows in place, keeping their
//     _rl_id, inserts new ones, and replaces the child rows of each
//     object, linked to the stored _rl_id. A merge table without keys is
//     appended to. With soft delete, a package that lists the resource
//     in full sets _rl_deleted_at on the stored rows it lacks, and the
//     keys of Package.Deletes set it on their stored rows, after the
//     package's rows are written.
//   - history keeps every version of an object. Per primary key, a kept
//     row whose _rl_row_hash differs from the current row's closes that
//     row by setting _rl_valid_to. The kept row is then inserted, valid
//     from the package's creation time. A hard delete only closes the
//     current row. With retire_absent, the current rows of objects that
//     the package lacks are closed too.
//
// # Types and names
//
// Column types map to text, bigint, double precision, numeric(38,9),
// boolean, timestamptz (microseconds), date, jsonb and bytea. jsonb keeps
// numbers exact but not the layout of the JSON text nor duplicate keys.
// PostgreSQL cannot store the NUL character in text or jsonb, so a value
// that contains one fails the load with a message naming the row and
// column. Names longer than 63 bytes, which PostgreSQL would cut, fail
// the load before anything runs; Capabilities reports the limit so that
// the normalizer shortens names first.
//
// Tables get no primary key constraint. Tables of merge and history
// trees get an index on the columns that the load looks rows up by.
//
// The schema of each version is stored in _rl_version as JSON (column
// schema) and as YAML (column schema_yaml) with its hash.
package postgres
