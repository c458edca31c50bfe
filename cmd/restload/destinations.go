package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/restload/restload/config"
	"github.com/restload/restload/dataset"
	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/destination/filesystem"
	"github.com/restload/restload/destination/iceberg"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/pipeline"
)

// destinationKinds lists the values of --destination.
var destinationKinds = []string{"duckdb", "postgres", "filesystem", "iceberg"}

// duckdbSettings are the keys under [destination.duckdb] or
// DESTINATION__DUCKDB__*.
type duckdbSettings struct {
	// MemoryLimit caps DuckDB's memory during a load, such as 512MB;
	// empty means duckdb.DefaultMemoryLimit.
	MemoryLimit string `config:"memory_limit"`
	// TempDirectory is the folder for what exceeds the limit. Empty
	// means <pipeline>.duckdb.tmp beside the database.
	TempDirectory string `config:"temp_directory"`
}

// duckdbOptions reads the DuckDB settings; without a configuration the
// defaults apply.
func duckdbOptions(conf *config.Resolver) (duckdb.Options, error) {
	var s duckdbSettings
	if conf != nil {
		if err := conf.Decode("destination.duckdb", &s); err != nil {
			return duckdb.Options{}, &usageError{err}
		}
	}
	return duckdb.Options{MemoryLimit: s.MemoryLimit, TempDirectory: s.TempDirectory}, nil
}

// postgresSettings are the keys under [destination.postgres] or
// DESTINATION__POSTGRES__*.
type postgresSettings struct {
	// Credentials is a connection URL such as
	// postgresql://user:password@host:5432/db?sslmode=verify-full.
	Credentials config.Secret `config:"credentials"`
}

// filesystemSettings are the keys under [destination.filesystem] or
// DESTINATION__FILESYSTEM__*.
type filesystemSettings struct {
	// BucketURL is the folder (a path or file:// URL) that holds one
	// folder per dataset; empty means <pipeline>_files in the current
	// folder.
	BucketURL string `config:"bucket_url"`
	// Format is parquet (default), jsonl or csv.
	Format string `config:"format"`
}

// icebergSettings are the keys under [destination.iceberg] or
// DESTINATION__ICEBERG__*.
type icebergSettings struct {
	// Warehouse is the folder of the tables; empty means
	// <pipeline>_iceberg in the current folder.
	Warehouse string `config:"warehouse"`
	// Catalog is sql (a SQLite catalog in the warehouse, default) or
	// filesystem.
	Catalog string `config:"catalog"`
}

// destinationKeys lists the configuration keys of the destinations.
func destinationKeys() []string {
	keys := config.Keys("destination.duckdb", duckdbSettings{})
	keys = append(keys, config.Keys("destination.postgres", postgresSettings{})...)
	keys = append(keys, config.Keys("destination.filesystem", filesystemSettings{})...)
	return append(keys, config.Keys("destination.iceberg", icebergSettings{})...)
}

// filesystemConfig reads the filesystem settings; the bucket defaults to
// <pipeline>_files in the current folder.
func filesystemConfig(conf *config.Resolver, pipelineName string) (filesystem.Config, error) {
	var s filesystemSettings
	if err := conf.Decode("destination.filesystem", &s); err != nil {
		return filesystem.Config{}, &usageError{err}
	}
	if s.BucketURL == "" {
		abs, err := filepath.Abs(pipelineName + "_files")
		if err != nil {
			return filesystem.Config{}, fmt.Errorf("resolve bucket path: %w", err)
		}
		s.BucketURL = abs
	}
	switch s.Format {
	case "", "parquet", "jsonl", "csv":
	default:
		return filesystem.Config{}, &usageError{fmt.Errorf("invalid destination.filesystem.format %q: use parquet, jsonl or csv", s.Format)}
	}
	return filesystem.Config{BucketURL: s.BucketURL, Format: filesystem.Format(s.Format)}, nil
}

// icebergConfig reads the Iceberg settings; the warehouse defaults to
// <pipeline>_iceberg in the current folder.
func icebergConfig(conf *config.Resolver, pipelineName string) (iceberg.Config, error) {
	var s icebergSettings
	if err := conf.Decode("destination.iceberg", &s); err != nil {
		return iceberg.Config{}, &usageError{err}
	}
	if s.Warehouse == "" {
		abs, err := filepath.Abs(pipelineName + "_iceberg")
		if err != nil {
			return iceberg.Config{}, fmt.Errorf("resolve warehouse path: %w", err)
		}
		s.Warehouse = abs
	}
	return iceberg.Config{Warehouse: s.Warehouse, Catalog: s.Catalog}, nil
}

// checkDestination validates --destination.
func checkDestination(kind string) error {
	for _, k := range destinationKinds {
		if k == kind {
			return nil
		}
	}
	msg := fmt.Sprintf("unknown destination %q: use %s or %s", kind,
		strings.Join(destinationKinds[:len(destinationKinds)-1], ", "), destinationKinds[len(destinationKinds)-1])
	if c := config.Closest(kind, destinationKinds); c != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", c)
	}
	return &usageError{errors.New(msg)}
}

// postgresConfig reads the PostgreSQL credentials from the
// configuration; a missing value names every place that was searched.
func postgresConfig(conf *config.Resolver) (postgres.Config, error) {
	var s postgresSettings
	if err := conf.Decode("destination.postgres", &s); err != nil {
		return postgres.Config{}, &usageError{err}
	}
	if s.Credentials.Reveal() == "" {
		return postgres.Config{}, &usageError{fmt.Errorf("missing PostgreSQL credentials (destination.postgres.credentials), "+
			"a URL such as postgresql://user:password@host:5432/database: set it in one of these places:\n  %s",
			strings.Join(conf.Searched("destination.postgres.credentials", true), "\n  "))}
	}
	return postgres.Config{Credentials: s.Credentials.Reveal()}, nil
}

// openDestination opens the destination of a run: DuckDB in the file
// <pipeline>.duckdb of the current folder, or the PostgreSQL database of
// the configured credentials.
func openDestination(ctx context.Context, kind, pipelineName string, conf *config.Resolver) (destination.Destination, error) {
	switch kind {
	case "postgres":
		cfg, err := postgresConfig(conf)
		if err != nil {
			return nil, err
		}
		return postgres.Open(ctx, cfg)
	case "filesystem":
		cfg, err := filesystemConfig(conf, pipelineName)
		if err != nil {
			return nil, err
		}
		return filesystem.Open(cfg)
	case "iceberg":
		cfg, err := icebergConfig(conf, pipelineName)
		if err != nil {
			return nil, err
		}
		return iceberg.Open(ctx, cfg)
	default:
		path, err := filepath.Abs(pipelineName + ".duckdb")
		if err != nil {
			return nil, fmt.Errorf("resolve database path: %w", err)
		}
		opts, err := duckdbOptions(conf)
		if err != nil {
			return nil, err
		}
		return openDuckDB(path, opts)
	}
}

// openDuckDB opens the database file at path; a memory limit that DuckDB
// refuses is a usage error that names the setting.
func openDuckDB(path string, opts duckdb.Options) (*duckdb.Client, error) {
	c, err := duckdb.OpenWith(path, opts)
	if err != nil && opts.MemoryLimit != "" && strings.Contains(err.Error(), "memory limit") {
		return nil, &usageError{fmt.Errorf("%w (destination.duckdb.memory_limit)", err)}
	}
	return c, err
}

// reopenDestination opens the destination that a pipeline's record
// names, for the commands that inspect or change a loaded pipeline. For
// PostgreSQL the credentials come from the configuration again, since
// the record holds the location without the password; they must point
// at the same server and database.
func reopenDestination(ctx context.Context, name string, rec *pipeline.Record, conf *config.Resolver) (destination.Destination, error) {
	switch rec.DestinationName {
	case "duckdb":
		path, ok := strings.CutPrefix(rec.Location, "duckdb:///")
		if !ok {
			return nil, fmt.Errorf("pipeline %q: unreadable DuckDB location %q", name, rec.Location)
		}
		if _, err := os.Stat(path); err != nil {
			return nil, &usageError{fmt.Errorf("database of pipeline %q not found at %s: it was moved or deleted", name, path)}
		}
		opts, err := duckdbOptions(conf)
		if err != nil {
			return nil, err
		}
		return openDuckDB(path, opts)
	case "postgres":
		if conf == nil {
			return nil, errors.New("no configuration to read the PostgreSQL credentials from")
		}
		cfg, err := postgresConfig(conf)
		if err != nil {
			return nil, err
		}
		c, err := postgres.Open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		if samePostgres(c.Location()) != samePostgres(rec.Location) {
			c.Close()
			return nil, &usageError{fmt.Errorf("pipeline %q loaded to %s, but destination.postgres.credentials points to %s: set the credentials of that database",
				name, rec.Location, c.Location())}
		}
		return c, nil
	case "filesystem":
		path, ok := strings.CutPrefix(rec.Location, "file://")
		if !ok {
			return nil, fmt.Errorf("pipeline %q: unreadable filesystem location %q", name, rec.Location)
		}
		cfg := filesystem.Config{BucketURL: path}
		if conf != nil {
			fc, err := filesystemConfig(conf, name)
			if err != nil {
				return nil, err
			}
			cfg.Format = fc.Format
		}
		return filesystem.Open(cfg)
	case "iceberg":
		rest, ok := strings.CutPrefix(rec.Location, "iceberg+")
		kind, dir, ok2 := strings.Cut(rest, "://")
		if !ok || !ok2 {
			return nil, fmt.Errorf("pipeline %q: unreadable Iceberg location %q", name, rec.Location)
		}
		return iceberg.Open(ctx, iceberg.Config{Warehouse: dir, Catalog: kind})
	}
	return nil, fmt.Errorf("pipeline %q loads to %s, which this command does not support", name, rec.DestinationName)
}

// openDataset opens a dataset of a destination for SQL. DuckDB and
// PostgreSQL run the SQL themselves. Files and Iceberg tables are read
// by an in-memory DuckDB, through views over the committed data files,
// so a load that did not commit is never seen. The caller closes it.
func openDataset(ctx context.Context, d destination.Destination, name, schemaName string) (*dataset.Dataset, error) {
	sch, err := d.Schema(ctx, name, schemaName)
	if err != nil {
		return nil, fmt.Errorf("read the schema of dataset %s from %s: %w", name, d.Location(), err)
	}
	return dataset.Open(ctx, d, name, sch)
}

// samePostgres returns a PostgreSQL location in a form that compares
// equal for the same database: the URL scheme in one spelling, since
// postgres:// and postgresql:// name the same server, and the parameters
// sorted.
func samePostgres(location string) string {
	if rest, ok := strings.CutPrefix(location, "postgres://"); ok {
		location = "postgresql://" + rest
	}
	u, err := url.Parse(location)
	if err != nil {
		return location
	}
	// The session setting that show adds for a read-only connection
	// changes the session, not the database; parameters compare in
	// sorted order.
	q := u.Query()
	q.Del("default_transaction_read_only")
	u.RawQuery = q.Encode()
	return u.String()
}

// findDataset returns the dataset of dest that holds the state of the
// named pipeline, for commands run without a working folder or
// --dataset. It looks at every schema with a state table, on destinations
// that list them (DuckDB, PostgreSQL), and returns "" when none or
// several hold the pipeline.
func findDataset(ctx context.Context, dest destination.Destination, pipelineName string) string {
	var db interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
	switch c := dest.(type) {
	case *duckdb.Client:
		db = c.DB()
	case *postgres.Client:
		db = c.DB()
	default:
		return ""
	}
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = '_rl_pipeline_state'`)
	if err != nil {
		return ""
	}
	var schemas []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) == nil {
			schemas = append(schemas, name)
		}
	}
	rows.Close()
	found := ""
	for _, name := range schemas {
		if st, err := dest.State(ctx, name, pipelineName); err == nil && st != nil {
			if found != "" {
				return ""
			}
			found = name
		}
	}
	return found
}
