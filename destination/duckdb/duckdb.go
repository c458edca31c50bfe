// Package duckdb is the DuckDB destination: it loads normalized load
// packages into a DuckDB database file, one DuckDB schema per dataset.
//
// A package loads in one transaction: schema migration, the rows of every
// job, the pipeline state, the schema version and the row in _rl_loads
// commit together. A process killed before the commit leaves nothing of
// the package, because DuckDB replays only committed transactions from its
// write-ahead log.
//
// Job files are read in Go with a strict JSON tokenizer and appended to
// temporary staging tables with DuckDB's appender. The write disposition
// of each root table then moves the staged rows into the dataset with
// INSERT ... SELECT, UPDATE and DELETE statements, which package
// destination/internal/sqlload builds for DuckDB and PostgreSQL alike.
// DuckDB's own read_json (as of DuckDB 2.0.0) parses fractional numbers
// as doubles, which would round decimal values and numbers inside JSON
// values, so it is not used.
//
// Write dispositions apply to a root table and all its child tables:
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
//     appended to.
//   - history keeps every version of an object. Per primary key, a kept
//     row whose _rl_row_hash differs from the current row's closes that
//     row by setting _rl_valid_to. The kept row is then inserted, valid
//     from the package's creation time. A hard delete only closes the
//     current row. With retire_absent, the current rows of objects that
//     the package lacks are closed too.
//
// The schema of each version is stored in _rl_version as JSON (column
// schema) and as YAML (column schema_yaml) with its hash.
package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"

	// The driver registers itself as "duckdb" for database/sql.
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

var _ destination.Destination = (*Client)(nil)

// offlineSettings are the DuckDB settings that keep DuckDB from
// downloading or loading extensions on its own. The json and parquet
// extensions are built into the driver's library, so they still work.
var offlineSettings = []string{"autoinstall_known_extensions", "autoload_known_extensions"}

// Client is a DuckDB database file used as a destination. Its methods are
// safe for concurrent use, and loads run one at a time.
type Client struct {
	db   *sql.DB
	path string
	// memoryLimit is the memory_limit the database was opened with.
	memoryLimit string

	// loadMu serializes Load, because two transactions that write the
	// same tables would conflict.
	loadMu sync.Mutex

	// beforeCommit, when set, runs after every statement of a load and
	// before its COMMIT. Tests use it to stop a process mid-transaction.
	beforeCommit func()
}

// DefaultMemoryLimit is the memory that DuckDB may use for a load unless
// Options.MemoryLimit sets another. A package loads in one
// transaction, so without a limit DuckDB keeps the whole package in
// memory, which grows with the size of the organisation; under the limit
// it spills to its temporary folder instead. Queries of a pipeline this
// size run well within it.
const DefaultMemoryLimit = "256MB"

// Options tune how Open opens a database.
type Options struct {
	// MemoryLimit caps the memory of DuckDB's buffer manager, in DuckDB's
	// notation: "512MB", "2GB". Empty means DefaultMemoryLimit. DuckDB
	// allocates some memory outside the buffer manager, so a process
	// uses somewhat more.
	MemoryLimit string
	// TempDirectory is the folder where DuckDB writes what exceeds the
	// limit. Empty means "<database file>.tmp" beside the file, DuckDB's
	// own default.
	TempDirectory string
}

// Open opens the DuckDB database file at path, creating it if it does not
// exist, with the default Options.
func Open(path string) (*Client, error) {
	return OpenWith(path, Options{})
}

// OpenWith opens the DuckDB database file at path, creating it if it does
// not exist. Extension autoinstall and autoload are switched off, so
// DuckDB makes no network requests.
func OpenWith(path string, opts Options) (*Client, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open duckdb %q: %w", path, err)
	}
	// The driver splits the DSN at "?" and parses the rest as a URL, so
	// these characters would cut the path or drop the settings.
	if strings.ContainsAny(abs, "?#") {
		return nil, fmt.Errorf("open duckdb %q: path contains '?' or '#', which the driver cannot open; choose another path", abs)
	}
	settings := url.Values{}
	for _, name := range offlineSettings {
		settings.Set(name, "false")
	}
	limit := opts.MemoryLimit
	if limit == "" {
		limit = DefaultMemoryLimit
	}
	settings.Set("memory_limit", limit)
	// DuckDB's Out of Memory Error names turning off insertion order as
	// a remedy for large inserts, and a load of a million candidates
	// ran into that error. Nothing in restload depends on the order of
	// a table's rows: show and dataset order the rows they return.
	settings.Set("preserve_insertion_order", "false")
	if opts.TempDirectory != "" {
		dir, err := filepath.Abs(opts.TempDirectory)
		if err != nil {
			return nil, fmt.Errorf("open duckdb %q: temporary folder %q: %w", abs, opts.TempDirectory, err)
		}
		settings.Set("temp_directory", dir)
	}
	db, err := sql.Open("duckdb", abs+"?"+settings.Encode())
	if err != nil {
		return nil, openError(abs, opts, err)
	}
	c := &Client{db: db, path: abs, memoryLimit: limit}
	if err := c.checkOffline(); err != nil {
		db.Close()
		return nil, openError(abs, opts, err)
	}
	return c, nil
}

// OpenMemory opens an in-memory DuckDB database with the same offline
// settings as Open, so that no extension is ever downloaded. Readers use
// it to query files that other destinations wrote (Parquet, JSON), whose
// readers are built into the driver. The caller closes it.
func OpenMemory() (*sql.DB, error) {
	db, err := sql.Open("duckdb", "?"+offlineSettings[0]+"=false&"+offlineSettings[1]+"=false")
	if err != nil {
		return nil, fmt.Errorf("open in-memory duckdb: %w", err)
	}
	// One connection: an in-memory database lives per connection pool,
	// and views created on one connection must be seen by the query.
	db.SetMaxOpenConns(1)
	c := &Client{db: db, path: ":memory:"}
	if err := c.checkOffline(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open in-memory duckdb: %w", err)
	}
	return db, nil
}

// openError wraps an error of opening the file at path. DuckDB lets one
// process open a file for writing at a time, and its own message names
// the other process but not what to do.
func openError(path string, opts Options, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not set lock on file"):
		return fmt.Errorf("open duckdb %q: the file is in use by another process (another restload run, or a DuckDB client that has it open); wait for it or close it, then run again: %w", path, err)
	case opts.MemoryLimit != "" && strings.Contains(msg, "memory"):
		return fmt.Errorf("open duckdb %q: memory limit %q: use a size such as 512MB or 2GB: %w", path, opts.MemoryLimit, err)
	}
	return fmt.Errorf("open duckdb %q: %w", path, err)
}

// resourceHint adds what to do to a load error that DuckDB raised for
// lack of memory or disk. The package was rolled back either way.
func (c *Client) resourceHint(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Out of Memory"):
		return fmt.Errorf("%w: DuckDB ran out of its memory limit of %s; raise destination.duckdb.memory_limit and run again, nothing of this package was committed", err, c.memoryLimit)
	case strings.Contains(msg, "No space left on device"):
		return fmt.Errorf("%w: the disk is full; DuckDB spills what exceeds its memory limit (%s) to destination.duckdb.temp_directory, so free space there, point it at a larger disk or raise the limit, then run again; nothing of this package was committed", err, c.memoryLimit)
	}
	return err
}

// checkOffline verifies that the extension settings took effect. Running
// the query also creates the database file.
func (c *Client) checkOffline() error {
	for _, name := range offlineSettings {
		var on bool
		if err := c.db.QueryRow("SELECT current_setting(?)::BOOLEAN", name).Scan(&on); err != nil {
			return fmt.Errorf("read setting %s: %w", name, err)
		}
		if on {
			return fmt.Errorf("setting %s is still true after opening with it set to false", name)
		}
	}
	return nil
}

// DB returns the database handle, for queries by tests and the CLI.
func (c *Client) DB() *sql.DB { return c.db }

// Location returns "duckdb:///" followed by the absolute file path.
func (c *Client) Location() string { return "duckdb:///" + c.path }

// Close closes the database. A Load in progress finishes first.
func (c *Client) Close() error {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	return c.db.Close()
}

// HasLoad reports whether the package loadID has committed in dataset.
func (c *Client) HasLoad(ctx context.Context, dataset, loadID string) (bool, error) {
	return c.reader().HasLoad(ctx, dataset, loadID)
}

// State returns the pipeline state with the highest version stored for
// pipelineName in dataset, or nil when there is none.
func (c *Client) State(ctx context.Context, dataset, pipelineName string) (*destination.StoredState, error) {
	return c.reader().State(ctx, dataset, pipelineName)
}

// Schema returns the schema most recently stored in dataset under name, or
// nil when there is none.
func (c *Client) Schema(ctx context.Context, dataset, name string) (*schema.Schema, error) {
	return c.reader().Schema(ctx, dataset, name)
}

// reader returns the reader of the bookkeeping tables of c's datasets.
func (c *Client) reader() sqlload.Reader {
	return sqlload.Reader{DB: c.db, Dialect: dialect{}}
}

var _ destination.CapabilityReporter = (*Client)(nil)

// Capabilities returns no limits: DuckDB 2.0.0 takes table and column
// names of 5000 bytes and more (checked by hand), far past what the
// normalizer builds.
func (c *Client) Capabilities() destination.Capabilities {
	return destination.Capabilities{Transactions: true, MergeInPlace: true, Staging: true}
}
