package filesystem

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// dirDeleted is the folder of a dataset that holds the key files of
// Package.Deletes. Tables cannot be named like it: they may not start
// with the system prefix.
const dirDeleted = schema.SystemPrefix + "deleted"

// checkDeletes fails when a job of p.Deletes names a table that does not
// track deletes, before the load writes any file.
func checkDeletes(p *destination.Package) error {
	for _, job := range p.Deletes {
		if _, err := destination.DeleteTarget(p.Schema, job); err != nil {
			return err
		}
	}
	return nil
}

// writeDeletes writes each job of p.Deletes as a key file in the
// folder _rl_deleted and lists it in rec.Deleted. A key file holds the
// primary key columns of its table and _rl_load_id, in the data file
// format.
func (c *Client) writeDeletes(ctx context.Context, dir string, p *destination.Package, rec *record) error {
	for i, job := range p.Deletes {
		if err := ctx.Err(); err != nil {
			return err
		}
		root, err := destination.DeleteTarget(p.Schema, job)
		if err != nil {
			return err
		}
		rel := path.Join(dirDeleted, fmt.Sprintf("%s.%d.%s", p.LoadID, i, c.format))
		f, err := c.writeKeys(filepath.Join(dir, filepath.FromSlash(rel)), job.Path, root, p.LoadID)
		if err != nil {
			return fmt.Errorf("write deleted keys of table %s from %s: %w", root.Name, job.Path, err)
		}
		f.Path = rel
		rec.Deleted = append(rec.Deleted, f)
	}
	if len(p.Deletes) == 0 {
		return nil
	}
	if err := syncDir(filepath.Join(dir, dirDeleted)); err != nil {
		return fmt.Errorf("sync folder %s: %w", dirDeleted, err)
	}
	return nil
}

// keyColumns returns the columns of a key file of root.
func keyColumns(root *schema.Table) []column {
	var cols []column
	for _, c := range destination.KeyTable(root).Columns {
		cols = append(cols, column{c.Name, c.Type})
	}
	return append(cols, column{schema.ColumnLoadID, schema.Text})
}

// writeKeys converts the key file src of root into a synced key file at
// dst. A key without a value in every primary key column is rejected,
// because it could match no row.
func (c *Client) writeKeys(dst, src string, root *schema.Table, loadID string) (dataFile, error) {
	cols := keyColumns(root)
	df := dataFile{Table: root.Name, Format: c.format}
	for _, col := range cols {
		df.Columns = append(df.Columns, col.name)
	}

	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return df, err
	}
	f, err := os.Create(dst)
	if err != nil {
		return df, err
	}
	defer f.Close()
	w := newRowWriter(c.format, f, cols)
	fixed := map[string]any{schema.ColumnLoadID: loadID}
	err = readJob(src, cols, fixed, func(row []any) error {
		df.Rows++
		for i, v := range row[:len(cols)-1] {
			if v == nil {
				return fmt.Errorf("row %d has no value in primary key column %s", df.Rows, cols[i].name)
			}
		}
		return w.write(row)
	})
	if err != nil {
		return df, err
	}

	if err := w.close(); err != nil {
		return df, err
	}
	if err := f.Sync(); err != nil {
		return df, err
	}
	return df, f.Close()
}

// deletedKeysQuery returns a query of the keys that committed loads
// marked deleted in table t, or "" when no load has keys of t. Its
// columns are the primary key of t, __rl_load (the load id) and __rl_at
// (the load's creation time).
func deletedKeysQuery(dir string, records []*record, t *schema.Table) (string, error) {
	var files []dataFile
	var loads []string
	for _, r := range records {
		n := len(files)
		for _, f := range r.Deleted {
			if f.Table == t.Name {
				if f.Format == "" {
					f.Format = r.Format
				}
				files = append(files, f)
			}
		}
		if len(files) > n {
			loads = append(loads, fmt.Sprintf("(%s, TIMESTAMPTZ %s)",
				literal(r.LoadID), literal(r.CreatedAt.UTC().Format("2006-01-02 15:04:05.999999+00"))))
		}
	}
	if len(files) == 0 {
		return "", nil
	}
	keys := destination.KeyTable(t)
	cols := keyColumns(t)
	var parts []string
	for _, format := range formatsOf(files) {
		var group []dataFile
		for _, f := range files {
			if f.Format == format {
				group = append(group, f)
			}
		}
		q, err := keyFormatQuery(dir, keys, cols, format, group)
		if err != nil {
			return "", err
		}
		parts = append(parts, q)
	}
	return fmt.Sprintf("SELECT k.*, l.created_at AS __rl_at FROM (%s) AS k JOIN (VALUES %s) AS l(load_id, created_at) ON l.load_id = k.%s",
		strings.Join(parts, " UNION ALL "), strings.Join(loads, ", "), viewLoad), nil
}

// formatsOf returns the formats of files in the order they first occur.
func formatsOf(files []dataFile) []Format {
	var out []Format
	for _, f := range files {
		if !slices.Contains(out, f.Format) {
			out = append(out, f.Format)
		}
	}
	return out
}

// keyFormatQuery returns the key columns and __rl_load of key files of
// one format. The key table is a root table, so formatQuery reads
// _rl_load_id as __rl_load; the key files have no _rl_seq, which it
// reads as NULL.
func keyFormatQuery(dir string, keys *schema.Table, cols []column, format Format, files []dataFile) (string, error) {
	q, err := formatQuery(dir, keys, cols, format, files)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(keys.Columns)+1)
	for _, c := range keys.Columns {
		names = append(names, ident(c.Name))
	}
	return fmt.Sprintf("SELECT %s, %s FROM (%s)", strings.Join(names, ", "), viewLoad, q), nil
}

// deletedAtExpr returns the _rl_deleted_at of a current row of t, whose
// columns the query refers to through the alias cur. It is the earliest
// creation time of two kinds of loads: those after the row's load that
// listed t in full, and those from the row's own load on whose key
// files hold the row's key. It is NULL when there is no such load.
func deletedAtExpr(dir string, records []*record, t *schema.Table, cur string) (string, error) {
	var marks []string
	var complete []string
	for _, r := range records {
		if slices.Contains(r.Complete, t.Name) {
			complete = append(complete, fmt.Sprintf("(%s, TIMESTAMPTZ %s)",
				literal(r.LoadID), literal(r.CreatedAt.UTC().Format("2006-01-02 15:04:05.999999+00"))))
		}
	}
	if len(complete) > 0 {
		marks = append(marks, fmt.Sprintf("SELECT c.created_at AS __rl_at FROM (VALUES %s) AS c(load_id, created_at) WHERE c.load_id > %s.%s",
			strings.Join(complete, ", "), cur, viewLoad))
	}
	keys, err := deletedKeysQuery(dir, records, t)
	if err != nil {
		return "", err
	}
	if keys != "" {
		conds := []string{fmt.Sprintf("d.%s >= %s.%s", viewLoad, cur, viewLoad)}
		for _, k := range t.PrimaryKey() {
			conds = append(conds, fmt.Sprintf("d.%s = %s.%s", ident(k), cur, ident(k)))
		}
		marks = append(marks, fmt.Sprintf("SELECT d.__rl_at FROM (%s) AS d WHERE %s", keys, strings.Join(conds, " AND ")))
	}
	if len(marks) == 0 {
		return "CAST(NULL AS TIMESTAMPTZ)", nil
	}
	return fmt.Sprintf("(SELECT min(m.__rl_at) FROM (%s) AS m(__rl_at))", strings.Join(marks, " UNION ALL ")), nil
}
