package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/restload/restload/destination/internal/sqlload"
)

// OpenReadOnly opens an existing DuckDB database file with DuckDB's
// access_mode=READ_ONLY, so that no statement run on it can change the
// file. Loading into a Client opened this way fails. Several read-only
// processes may share a file, but DuckDB does not let a read-only
// process open a file that a writing process holds, nor the other way
// round. Extension autoinstall and autoload are off, as in Open.
func OpenReadOnly(path string) (*Client, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open duckdb %q read-only: %w", path, err)
	}
	if strings.ContainsAny(abs, "?#") {
		return nil, fmt.Errorf("open duckdb %q read-only: path contains '?' or '#', which the driver cannot open; choose another path", abs)
	}
	dsn := abs + "?access_mode=READ_ONLY&" + offlineSettings[0] + "=false&" + offlineSettings[1] + "=false"
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return nil, openError(abs, Options{}, err)
	}
	c := &Client{db: db, path: abs}
	if err := c.checkOffline(); err != nil {
		db.Close()
		return nil, openError(abs, Options{}, err)
	}
	return c, nil
}

// Confine limits a DuckDB database that serves ad hoc queries, such as a
// web console: it may use at most memoryLimit (DuckDB's syntax, like
// "1GB"; empty keeps DuckDB's default) and read no files but those under
// dirs, so that a query cannot read the machine's other files. The
// settings apply to the whole database and cannot be lifted afterwards.
func Confine(ctx context.Context, db *sql.DB, memoryLimit string, dirs ...string) error {
	if memoryLimit != "" {
		if _, err := db.ExecContext(ctx, "SET memory_limit = "+sqlload.String(memoryLimit)); err != nil {
			return fmt.Errorf("set duckdb memory limit %s: %w", memoryLimit, err)
		}
	}
	if len(dirs) > 0 {
		quoted := make([]string, len(dirs))
		for i, d := range dirs {
			abs, err := filepath.Abs(d)
			if err != nil {
				return fmt.Errorf("confine duckdb to %s: %w", d, err)
			}
			quoted[i] = sqlload.String(abs + string(filepath.Separator))
		}
		if _, err := db.ExecContext(ctx, "SET allowed_directories = ["+strings.Join(quoted, ", ")+"]"); err != nil {
			return fmt.Errorf("confine duckdb to %s: %w", strings.Join(dirs, ", "), err)
		}
	}
	if _, err := db.ExecContext(ctx, "SET enable_external_access = false"); err != nil {
		return fmt.Errorf("turn off duckdb file access: %w", err)
	}
	return nil
}
