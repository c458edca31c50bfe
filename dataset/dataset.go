// Package dataset reads loaded data back from a destination: the tables
// of a dataset as rows or as Arrow records, and SQL where the destination
// runs it.
package dataset

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/schema"
)

// SQLDestination is a destination that exposes a SQL handle, such as
// DuckDB.
type SQLDestination interface {
	DB() *sql.DB
}

// ViewDestination is a destination whose tables are data files that
// DuckDB reads, such as Parquet files or Iceberg tables. ReadViews
// returns the statements that create, in an empty DuckDB database, one
// view per table of the dataset over its committed files.
type ViewDestination interface {
	ReadViews(ctx context.Context, dataset string, sch *schema.Schema) ([]string, error)
}

// Dataset is one dataset of a destination.
type Dataset struct {
	db     *sql.DB
	name   string
	schema *schema.Schema
	// release frees a database that the Dataset opened itself.
	release func() error
}

// Open returns the dataset named name of dest: on the destination's own
// SQL handle (DuckDB, PostgreSQL), or on an in-memory DuckDB database
// with a view per table for a ViewDestination. The views show the loads
// committed when Open ran. Close releases what Open opened.
func Open(ctx context.Context, dest any, name string, sch *schema.Schema) (*Dataset, error) {
	switch d := dest.(type) {
	case SQLDestination:
		return New(d.DB(), name, sch), nil
	case ViewDestination:
		db, err := ViewDB(ctx, d, name, sch)
		if err != nil {
			return nil, err
		}
		ds := New(db, name, sch)
		ds.release = db.Close
		return ds, nil
	}
	return nil, fmt.Errorf("destination %T cannot be read back as a dataset", dest)
}

// ViewDB returns an in-memory DuckDB database with one view per table of
// the dataset named name of d, over the files committed when it ran. The
// caller closes it. Callers that run SQL from users confine it with
// duckdb.Confine to the destination's files.
func ViewDB(ctx context.Context, d ViewDestination, name string, sch *schema.Schema) (*sql.DB, error) {
	views, err := d.ReadViews(ctx, name, sch)
	if err != nil {
		return nil, fmt.Errorf("read the tables of dataset %s: %w", name, err)
	}
	db, err := duckdb.OpenMemory()
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		if _, err := db.ExecContext(ctx, v); err != nil {
			db.Close()
			return nil, fmt.Errorf("create the views of dataset %s: %w", name, err)
		}
	}
	return db, nil
}

// Close releases the database that Open opened for a ViewDestination;
// the handle of a SQL destination stays open.
func (d *Dataset) Close() error {
	if d.release == nil {
		return nil
	}
	return d.release()
}

// New returns the dataset named name in the destination whose SQL handle
// is db. sch gives the tables' column types; it may be nil, and then
// types come from the database.
func New(db *sql.DB, name string, sch *schema.Schema) *Dataset {
	return &Dataset{db: db, name: name, schema: sch}
}

// Name returns the dataset's name.
func (d *Dataset) Name() string { return d.name }

// Tables lists the dataset's tables, system tables included, sorted.
func (d *Dataset) Tables(ctx context.Context) ([]string, error) {
	rows, err := d.db.QueryContext(ctx,
		`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, d.name)
	if err != nil {
		return nil, fmt.Errorf("list tables of dataset %s: %w", d.name, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// Table returns a handle on one table; nothing is read until a method of
// the table is called.
func (d *Dataset) Table(name string) *Table {
	return &Table{d: d, name: name}
}

// Query runs SQL against the destination. Table names must be qualified
// with the dataset name, as in SELECT * FROM ashby_data.candidates.
func (d *Dataset) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query dataset %s: %w", d.name, err)
	}
	return rows, nil
}

// Table is one table of a dataset.
type Table struct {
	d    *Dataset
	name string
}

// ErrNotFound is returned for a table that the dataset does not hold.
var ErrNotFound = errors.New("table not found")

func (t *Table) selectAll(ctx context.Context) (*sql.Rows, error) {
	tables, err := t.d.Tables(ctx)
	if err != nil {
		return nil, err
	}
	found := false
	for _, n := range tables {
		found = found || n == t.name
	}
	if !found {
		return nil, fmt.Errorf("read %s.%s: %w; the dataset contains: %s", t.d.name, t.name, ErrNotFound, strings.Join(tables, ", "))
	}
	q := fmt.Sprintf(`SELECT * FROM %s.%s`, quote(t.d.name), quote(t.name))
	if t.d.schema != nil {
		if st := t.d.schema.Table(t.name); st != nil {
			if root := t.d.schema.Root(t.name); root != nil && root.Name == t.name && len(st.PrimaryKey()) > 0 {
				q += " ORDER BY " + columnList(st.PrimaryKey())
			} else if st.Column(schema.ColumnListIndex) != nil {
				q += " ORDER BY " + columnList([]string{schema.ColumnParentID, schema.ColumnListIndex})
			}
		}
	}
	rows, err := t.d.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", t.d.name, t.name, err)
	}
	return rows, nil
}

// Rows reads the whole table into memory, one map per row keyed by
// column name, in primary key order for root tables and in list order
// for child tables. NULL values are nil.
func (t *Table) Rows(ctx context.Context) ([]map[string]any, error) {
	rows, err := t.selectAll(ctx)
	if err != nil {
		return nil, err
	}
	cols, records, err := ScanAll(rows)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", t.d.name, t.name, err)
	}
	out := make([]map[string]any, len(records))
	for i, r := range records {
		out[i] = make(map[string]any, len(cols))
		for j, c := range cols {
			out[i][c] = r[j]
		}
	}
	return out, nil
}

// ScanAll reads every row of rows, as the driver's values in column
// order, and closes rows.
func ScanAll(rows *sql.Rows) (cols []string, records [][]any, err error) {
	defer rows.Close()
	if cols, err = rows.Columns(); err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		records = append(records, vals)
	}
	return cols, records, rows.Err()
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func columnList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
}
