package show

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/restload/restload/schema"
)

// ident quotes an identifier for DuckDB and PostgreSQL alike.
func ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// qualified returns dataset.table, quoted.
func qualified(dataset, table string) string { return ident(dataset) + "." + ident(table) }

// tableInfo is one table of the dataset with its row count.
type tableInfo struct {
	Name   string
	Parent string
	Rows   int64
	System bool
	Depth  int
}

// schemaOf returns the dataset's stored schema; nil when none is stored.
func schemaOf(ctx context.Context, src *Source) (*schema.Schema, error) {
	sch, err := src.Destination.Schema(ctx, src.Record.Dataset, src.Record.Source)
	if err != nil {
		return nil, fmt.Errorf("read the schema of dataset %s: %w", src.Record.Dataset, err)
	}
	return sch, nil
}

// tableNames lists the tables and views of the dataset in the database,
// sorted.
func tableNames(ctx context.Context, src *Source) ([]string, error) {
	rows, err := src.DB.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = $1 ORDER BY table_name`, src.Record.Dataset)
	if err != nil {
		return nil, fmt.Errorf("list tables of dataset %s: %w", src.Record.Dataset, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list tables of dataset %s: %w", src.Record.Dataset, err)
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// tables returns every table of the dataset with its row count, counted
// in one statement. Parents and depths come from sch, which may be nil.
func tables(ctx context.Context, src *Source, sch *schema.Schema) ([]tableInfo, error) {
	names, err := tableNames(ctx, src)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("SELECT %d AS i, count(*) AS n FROM %s", i, qualified(src.Record.Dataset, n))
	}
	rows, err := src.DB.QueryContext(ctx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return nil, fmt.Errorf("count rows of dataset %s: %w", src.Record.Dataset, err)
	}
	defer rows.Close()
	out := make([]tableInfo, len(names))
	for i, n := range names {
		out[i] = tableInfo{Name: n, System: strings.HasPrefix(n, schema.SystemPrefix)}
		if sch != nil {
			if t := sch.Table(n); t != nil {
				out[i].Parent = t.Parent
				out[i].Depth = depth(sch, t)
			}
		}
	}
	for rows.Next() {
		var i int
		var n int64
		if err := rows.Scan(&i, &n); err != nil {
			return nil, fmt.Errorf("count rows of dataset %s: %w", src.Record.Dataset, err)
		}
		out[i].Rows = n
	}
	return out, rows.Err()
}

// depth returns the number of ancestors of t.
func depth(sch *schema.Schema, t *schema.Table) int {
	d := 0
	for p := t.Parent; p != "" && d < 100; d++ {
		pt := sch.Table(p)
		if pt == nil {
			break
		}
		p = pt.Parent
	}
	return d
}

// column is one column of a table as the database reports it, with the
// schema's type when the schema has the column.
type column struct {
	Name       string
	DBType     string
	SchemaType string
	PrimaryKey bool
}

// columns returns the table's columns in table order; none when the
// dataset has no such table.
func columns(ctx context.Context, src *Source, table string, st *schema.Table) ([]column, error) {
	rows, err := src.DB.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, src.Record.Dataset, table)
	if err != nil {
		return nil, fmt.Errorf("list columns of %s.%s: %w", src.Record.Dataset, table, err)
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.Name, &c.DBType); err != nil {
			return nil, fmt.Errorf("list columns of %s.%s: %w", src.Record.Dataset, table, err)
		}
		if st != nil {
			if sc := st.Column(c.Name); sc != nil {
				c.SchemaType = string(sc.Type)
				c.PrimaryKey = sc.PrimaryKey
			}
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// load is one row of the loads table, with the rows that its package
// manifest counted when the working folder still contains it.
type load struct {
	ID         string
	SchemaName string
	Status     int64
	InsertedAt time.Time
	Rows       int64
	HasRows    bool
	Tables     map[string]int64
}

// StatusText names a load status: 0 is a completed load.
func (l load) StatusText() string {
	if l.Status == 0 {
		return "loaded"
	}
	return fmt.Sprintf("status %d", l.Status)
}

// TopTables names the three tables with the most rows in the load.
func (l load) TopTables() string {
	keys := sortedCounts(l.Tables)
	parts := make([]string, 0, 3)
	for _, k := range keys[:min(3, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s (%d)", k, l.Tables[k]))
	}
	return strings.Join(parts, ", ")
}

// loads returns up to limit loads of the dataset, newest first, with
// the row counts of their packages.
func loads(ctx context.Context, src *Source, limit int) ([]load, error) {
	names, err := tableNames(ctx, src)
	if err != nil {
		return nil, err
	}
	if !contains(names, schema.TableLoads) {
		return nil, nil
	}
	q := fmt.Sprintf(`SELECT load_id, coalesce(schema_name, ''), status, inserted_at FROM %s
		ORDER BY inserted_at DESC, load_id DESC LIMIT %d`, qualified(src.Record.Dataset, schema.TableLoads), limit)
	rows, err := src.DB.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read loads of dataset %s: %w", src.Record.Dataset, err)
	}
	defer rows.Close()
	var out []load
	for rows.Next() {
		var l load
		if err := rows.Scan(&l.ID, &l.SchemaName, &l.Status, &l.InsertedAt); err != nil {
			return nil, fmt.Errorf("read loads of dataset %s: %w", src.Record.Dataset, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read loads of dataset %s: %w", src.Record.Dataset, err)
	}
	addPackageRows(src, out)
	return out, nil
}

// addPackageRows fills in the row counts of the loads whose package
// manifests the working folder contains. Packages are optional: a
// pipeline restored on another machine has none.
func addPackageRows(src *Source, ls []load) {
	pkgs, err := packages(src)
	if err != nil {
		return
	}
	byID := map[string]map[string]int64{}
	for _, m := range pkgs {
		byID[m.LoadID] = m.Rows()
	}
	for i := range ls {
		rows, ok := byID[ls[i].ID]
		if !ok {
			continue
		}
		ls[i].HasRows, ls[i].Tables = true, rows
		for _, n := range rows {
			ls[i].Rows += n
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sortedCounts returns the keys of m ordered by count, largest first,
// then by name.
func sortedCounts(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// scanRows reads up to limit rows of rows as driver values and reports
// whether more rows followed. It closes rows.
func scanRows(rows *sql.Rows, limit int) (cols []string, records [][]any, more bool, err error) {
	defer rows.Close()
	if cols, err = rows.Columns(); err != nil {
		return nil, nil, false, err
	}
	for rows.Next() {
		if len(records) == limit {
			more = true
			break
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, false, err
		}
		records = append(records, vals)
	}
	return cols, records, more, rows.Err()
}
