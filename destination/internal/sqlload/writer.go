package sqlload

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// Writer moves the staged rows of one load package into its dataset.
// Callers set every field except Temps before use.
type Writer struct {
	// Tx runs the statements, all inside the load's transaction.
	Tx Querier
	// Dialect spells what differs between databases.
	Dialect Dialect
	// Package is the load package being applied.
	Package *destination.Package
	// Stages contains the staging table of each table with job files,
	// by table name.
	Stages map[string]*Stage
	// Temps lists the temporary tables named by TempName, in order, so
	// that a database which keeps them after the commit can drop them.
	Temps []string
}

// TempName returns a new unquoted name for a temporary table of this
// load and appends it to w.Temps.
func (w *Writer) TempName() string {
	name := fmt.Sprintf("_rl_stage_%d", len(w.Temps))
	w.Temps = append(w.Temps, name)
	return name
}

// CreateTemp creates a temporary table from the rows of query and returns
// its quoted name.
func (w *Writer) CreateTemp(ctx context.Context, query string) (string, error) {
	stmt, ref := w.Dialect.CreateTempAs(w.TempName(), query)
	if err := w.Tx.Exec(ctx, stmt); err != nil {
		return "", err
	}
	return ref, nil
}

// TreeStager stages jobs, those of one root table and its descendants in
// job order, and records each staging table in the Writer's Stages. The
// staging tables are named by TempName.
type TreeStager func(ctx context.Context, jobs []destination.Job) error

// WriteAll writes every root table that RootTables returns, marks the
// rows that the package's Deletes name with MarkDeletedKeys, and stores
// the package's state and schema version. It leaves RecordLoad to the
// caller, to run last.
//
// Each root table's tree is staged by stageTree, written, and its
// temporary tables dropped before the next tree is staged, so that the
// staged rows of only one tree take memory or temporary disk at a time.
func (w *Writer) WriteAll(ctx context.Context, stageKeys KeyStager, stageTree TreeStager) error {
	roots, err := w.RootTables()
	if err != nil {
		return err
	}
	for _, root := range roots {
		first := len(w.Temps)
		tree := append([]*schema.Table{root}, w.Package.Schema.Descendants(root.Name)...)
		if err := stageTree(ctx, w.jobsOf(tree)); err != nil {
			return err
		}
		if err := w.Write(ctx, root); err != nil {
			return err
		}
		for _, name := range w.Temps[first:] {
			if err := w.Tx.Exec(ctx, w.Dialect.DropTemp(name)); err != nil {
				return fmt.Errorf("drop staging table %s: %w", name, err)
			}
		}
	}
	if err := w.MarkDeletedKeys(ctx, stageKeys); err != nil {
		return err
	}
	if err := w.StoreState(ctx); err != nil {
		return err
	}
	return w.StoreSchema(ctx)
}

// Write moves the staged rows of root and its descendants into the
// dataset by the root's write disposition.
func (w *Writer) Write(ctx context.Context, root *schema.Table) error {
	tree := append([]*schema.Table{root}, w.Package.Schema.Descendants(root.Name)...)
	disposition := root.WriteDisposition
	var err error
	switch disposition {
	case schema.Replace:
		err = w.replace(ctx, tree)
	case schema.Merge:
		if len(root.PrimaryKey()) == 0 && len(MergeKey(root)) == 0 {
			// Without keys no stored row matches a new one, so merge
			// appends.
			err = w.insertAll(ctx, tree)
		} else {
			err = w.merge(ctx, tree)
		}
	case schema.History:
		err = w.history(ctx, tree)
	case schema.Append, "":
		err = w.insertAll(ctx, tree)
	default:
		err = fmt.Errorf("unknown write disposition %q", disposition)
	}
	if err == nil && disposition == schema.Merge && root.SoftDelete && w.complete(root) {
		err = w.markDeleted(ctx, root)
	}
	if err != nil {
		return fmt.Errorf("write %s table %s from %s: %w", disposition, root.Name, w.files(tree), err)
	}
	return nil
}

// files returns the job files staged for the tables, for messages.
func (w *Writer) files(tables []*schema.Table) string {
	var paths []string
	for _, t := range tables {
		if s, ok := w.Stages[t.Name]; ok {
			paths = append(paths, s.Files...)
		}
	}
	if len(paths) == 0 {
		return "no job files"
	}
	return strings.Join(paths, ", ")
}

// complete reports whether the package lists every object of root's
// resource.
func (w *Writer) complete(root *schema.Table) bool {
	for _, name := range w.Package.Complete {
		if name == root.Name || name == root.Resource {
			return true
		}
	}
	return false
}

// markDeleted sets _rl_deleted_at on the live rows of root whose primary
// key has no staged row: objects that a complete listing no longer
// returned. Their child rows stay, reachable through the root row.
func (w *Writer) markDeleted(ctx context.Context, root *schema.Table) error {
	pk := root.PrimaryKey()
	if len(pk) == 0 || root.Column(schema.ColumnDeletedAt) == nil {
		return fmt.Errorf("table %s tracks deletes but lacks a primary key or the %s column", root.Name, schema.ColumnDeletedAt)
	}
	deletedAt := Ident(schema.ColumnDeletedAt)
	q := fmt.Sprintf("UPDATE %s AS t SET %s = %s WHERE t.%s IS NULL",
		Qualified(w.Package.Dataset, root.Name), deletedAt, w.Dialect.Param(1), deletedAt)
	if s, ok := w.Stages[root.Name]; ok {
		q += fmt.Sprintf(" AND NOT EXISTS (SELECT 1 FROM %s AS s WHERE %s)", s.Ref, KeyMatch("t", "s", pk))
	}
	if err := w.Tx.Exec(ctx, q, w.Package.CreatedAt.UTC()); err != nil {
		return fmt.Errorf("mark rows of table %s deleted: %w", root.Name, err)
	}
	return nil
}

// insertAll inserts all staged rows of the tables.
func (w *Writer) insertAll(ctx context.Context, tree []*schema.Table) error {
	for _, t := range tree {
		if s, ok := w.Stages[t.Name]; ok {
			if err := w.insert(ctx, t, rowSource{from: s.Ref + " AS s"}); err != nil {
				return err
			}
		}
	}
	return nil
}

// replace deletes all stored rows of the tables and inserts the staged
// ones. Both happen in the load's transaction, so readers get the old
// rows until it commits and the new ones after it. The tables never look
// empty or half replaced. DELETE is used rather than TRUNCATE, whose
// lock in PostgreSQL would block readers until the commit.
func (w *Writer) replace(ctx context.Context, tree []*schema.Table) error {
	for _, t := range tree {
		if err := w.Tx.Exec(ctx, "DELETE FROM "+Qualified(w.Package.Dataset, t.Name)); err != nil {
			return fmt.Errorf("delete rows of table %s: %w", t.Name, err)
		}
	}
	return w.insertAll(ctx, tree)
}

// rowSource is the input of insert: a FROM clause whose staged rows are
// aliased s, an optional WHERE condition, and expressions that replace
// s.<column> for some columns.
type rowSource struct {
	from  string
	where string
	exprs map[string]string
}

// insert copies the rows of src into table t. Root rows get the
// package's load id.
func (w *Writer) insert(ctx context.Context, t *schema.Table, src rowSource) error {
	names := make([]string, len(t.Columns))
	exprs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
		exprs[i] = "s." + Ident(c.Name)
		if e, ok := src.exprs[c.Name]; ok {
			exprs[i] = e
		} else if t.IsRoot() && c.Name == schema.ColumnLoadID {
			exprs[i] = String(w.Package.LoadID)
		}
	}
	if len(names) == 0 {
		return errors.New("table " + t.Name + " has no columns")
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s",
		Qualified(w.Package.Dataset, t.Name), ColumnList("", names), strings.Join(exprs, ", "), src.from)
	if src.where != "" {
		q += " WHERE " + src.where
	}
	if err := w.Tx.Exec(ctx, q); err != nil {
		return fmt.Errorf("insert rows into table %s: %w", t.Name, err)
	}
	return nil
}

// now returns the current time at the microsecond precision that both
// databases store.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// jobsOf returns the package's jobs of the tables, in job order.
func (w *Writer) jobsOf(tables []*schema.Table) []destination.Job {
	names := make(map[string]bool, len(tables))
	for _, t := range tables {
		names[t.Name] = true
	}
	var jobs []destination.Job
	for _, job := range w.Package.Jobs {
		if names[job.Table] {
			jobs = append(jobs, job)
		}
	}
	return jobs
}
