package duckdb

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
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
		return nil, openError(abs, err)
	}
	c := &Client{db: db, path: abs}
	if err := c.checkOffline(); err != nil {
		db.Close()
		return nil, openError(abs, err)
	}
	return c, nil
}
