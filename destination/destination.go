// Package destination defines what a destination implements to receive
// load packages: one package is applied atomically, together with the
// pipeline state that it advances, so that a crash never leaves rows
// without their state or state without its rows.
package destination

import (
	"context"
	"encoding/json"
	"time"

	"github.com/restload/restload/schema"
)

// Job is one normalized file of a load package: the rows of one table.
//
// The file holds one JSON object per line, compressed with zstd when its
// name ends in ".zst"; read it through OpenJob. Its keys are column names of
// the table in Package.Schema; a missing key means NULL. Values are
// encoded by column type:
//   - text: a JSON string
//   - bigint, double, decimal: a JSON number, written with the digits the
//     source sent
//   - bool: true or false
//   - timestamp: a JSON string in RFC 3339 form in UTC ("Z"), with the
//     fraction the source sent
//   - date: a JSON string "YYYY-MM-DD"
//   - json: the JSON value itself (object, array or scalar)
//   - binary: a JSON string holding standard base64
//
// Rows of root tables also carry "_rl_seq", a number that grows with the
// order in which the source returned the items within the package; each
// table counts from 1 on its own. It is not a column: a merge keeps, per primary key, only the row with the
// highest _rl_seq (and that row's child rows), unless a dedup sort column
// decides first.
//
// Root rows of a table with write disposition history carry
// "_rl_row_hash", a content hash of the row and its child rows. Their
// "_rl_valid_from" and "_rl_valid_to" columns are absent from the file:
// the destination sets them when it loads the row.
type Job struct {
	Table string
	Path  string
}

// SeqField is the ordering field of root rows in job files.
const SeqField = "_rl_seq"

// Package is a normalized load package ready to load.
type Package struct {
	// LoadID identifies the package; it grows with time, so ids sort in
	// load order.
	LoadID       string
	PipelineName string
	// Dataset is the schema (namespace) inside the destination.
	Dataset string
	// Schema is the full schema after normalizing this package. Tables
	// that the destination lacks are created, missing columns added.
	Schema *schema.Schema
	// Jobs lists the files to load, parents before children.
	Jobs []Job
	// Tables lists the root tables that this package covers, including
	// those with no rows, so that replace can empty a table that the
	// source now returns empty. A listed table that Schema lacks, because
	// a contract kept it from being created, is skipped.
	Tables []string
	// Complete lists the root tables whose resource listed every object
	// in this package. In those of them with SoftDelete, the stored rows
	// whose primary key the package lacks get _rl_deleted_at set to
	// CreatedAt, unless it is set already; rows in the package are live.
	Complete []string
	// Deletes lists files of primary keys of objects that the source
	// reported deleted. Each Job names a root table of Schema, or the
	// resource of one as Tables may, and each line of its file is a JSON
	// object with every primary key column of that table, values encoded
	// as in job files. The stored row of each
	// key gets _rl_deleted_at set to CreatedAt, unless it is set already.
	// Deletes apply after the package's rows are written, so a key that
	// the package both writes and deletes ends deleted. A key without a
	// stored row changes nothing, and a later package that writes the key
	// again makes its row live. A table without SoftDelete (and so
	// without the _rl_deleted_at column) fails the load.
	Deletes []Job
	// State is the pipeline state after this package, stored in the same
	// transaction as the rows. Nil leaves the stored state unchanged.
	State json.RawMessage
	// CreatedAt is when the package was extracted.
	CreatedAt time.Time
	// Drop lists tables to drop before anything else of the package, in
	// order (children before their parents), so that a pipeline can remove
	// resources together with the state that would skip their reload.
	Drop []string
}

// StoredState is a pipeline state read back from a destination.
type StoredState struct {
	LoadID    string
	Version   int64
	State     json.RawMessage
	CreatedAt time.Time
}

// Destination receives load packages.
type Destination interface {
	// Load applies p: migrates the dataset to p.Schema, writes every job
	// by its table's write disposition, stores p.State and records
	// p.LoadID in the loads table. Where the destination has transactions
	// all of it commits together or not at all.
	Load(ctx context.Context, p *Package) error
	// HasLoad reports whether a package with this load id has committed
	// in the dataset, so that a package whose commit outlived its process
	// is not applied twice.
	HasLoad(ctx context.Context, dataset, loadID string) (bool, error)
	// State returns the newest state stored for the pipeline in the
	// dataset, or nil when none is stored.
	State(ctx context.Context, dataset, pipelineName string) (*StoredState, error)
	// Schema returns the newest schema stored in the dataset under the
	// given schema name, or nil when none is stored.
	Schema(ctx context.Context, dataset, name string) (*schema.Schema, error)
	// Location describes where data is stored, with credentials redacted,
	// for messages such as duckdb:////abs/path/pipeline.duckdb.
	Location() string
	// Close releases the destination's resources.
	Close() error
}

// Capabilities describe what a destination can do, so that callers can
// respect its limits before data reaches it and explain how it commits.
// Every destination passes the same conformance suite whatever it
// reports: the capabilities describe how a guarantee holds, not whether.
type Capabilities struct {
	// MaxIdentifierLength is the longest table or column name, in
	// bytes, that the destination accepts; 0 means no limit. PostgreSQL
	// allows 63 bytes.
	MaxIdentifierLength int
	// Transactions reports that Load applies a package in one database
	// transaction. Without it the destination commits table by table
	// and writes a load record last; readers ignore data of loads that
	// have no record.
	Transactions bool
	// MergeInPlace reports that merge, replace and soft deletes change
	// the stored rows. Without it (files) they are resolved when the
	// data is read, through the destination's views.
	MergeInPlace bool
	// Staging reports that rows are bulk-copied into staging tables
	// before the write dispositions apply them.
	Staging bool
}

// CapabilityReporter is implemented by destinations that have limits.
type CapabilityReporter interface {
	Capabilities() Capabilities
}

// CapabilitiesOf returns the capabilities of d, or the zero value (no
// limits) when d does not report any.
func CapabilitiesOf(d Destination) Capabilities {
	if r, ok := d.(CapabilityReporter); ok {
		return r.Capabilities()
	}
	return Capabilities{}
}
