package sqlload

import (
	"context"
	"fmt"
	"strings"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// keyed is the state of a merge or history load of one root table,
// whose rows are matched to stored ones by key.
type keyed struct {
	root     *schema.Table
	children []*schema.Table
	stage    *Stage
	target   string   // qualified root table
	pk       []string // primary key columns
	mk       []string // merge key columns
	// latest is the table of the staged root rows to apply: per primary
	// key the row that the dedup order puts first, or every staged row
	// without a primary key. It is the staging table itself when that
	// already holds each key once.
	latest string
}

// deleted returns the condition on a row aliased alias that marks it as
// a hard delete, "false" without a hard delete column.
func (k *keyed) deleted(alias string) string {
	return HardDeleteCondition(k.root, alias)
}

// kept returns the condition on a row aliased alias that marks it as no
// hard delete.
func (k *keyed) kept(alias string) string {
	return "NOT (" + k.deleted(alias) + ")"
}

// prepareKeyed checks the tables of a merge or history load and builds
// the table of latest root rows. It returns nil when the root table has
// no staged rows.
func (w *Writer) prepareKeyed(ctx context.Context, tree []*schema.Table) (*keyed, error) {
	root, children := tree[0], tree[1:]
	rs, ok := w.Stages[root.Name]
	if !ok {
		for _, t := range children {
			if _, ok := w.Stages[t.Name]; ok {
				return nil, fmt.Errorf("table %s has rows but its root table has none, so no row of it can be kept", t.Name)
			}
		}
		return nil, nil
	}
	if root.Column(schema.ColumnID) == nil {
		return nil, fmt.Errorf("table %s has no %s column, which merge needs to find child rows", root.Name, schema.ColumnID)
	}
	for _, t := range children {
		if t.Column(schema.ColumnRootID) == nil {
			return nil, fmt.Errorf("child table %s has no %s column, which merge needs to replace child rows", t.Name, schema.ColumnRootID)
		}
	}
	k := &keyed{
		root: root, children: children, stage: rs, target: Qualified(w.Package.Dataset, root.Name),
		pk: root.PrimaryKey(), mk: MergeKey(root),
	}
	if len(k.pk) > 0 {
		if err := w.checkKeys(ctx, rs, k.pk); err != nil {
			return nil, err
		}
	}
	if err := w.keepLatest(ctx, k); err != nil {
		return nil, err
	}
	return k, nil
}

// keepLatest sets k.latest. Per primary key it keeps the staged row
// with the highest (dedup sort desc) or lowest (asc) value of the dedup
// sort column, NULLs last, and among equal values the one with the
// highest _rl_seq, which the source returned last.
//
// A package nearly always holds each key once, and then the staged rows
// are the latest rows as they are: k.latest refers to the staging table
// and neither a sort nor a copy is made. Without a primary key every
// staged row is applied.
//
// NOTE: at a million staged applications, both the sort per key and the
// check for repeated keys ran out of DuckDB's 256 MB default memory
// limit; such a load needs a larger destination.duckdb.memory_limit.
func (w *Writer) keepLatest(ctx context.Context, k *keyed) error {
	if len(k.pk) == 0 {
		k.latest = k.stage.Ref
		return nil
	}
	var repeated bool
	q := fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s GROUP BY %s HAVING count(*) > 1)", k.stage.Ref, ColumnList("", k.pk))
	if err := w.Tx.QueryRow(ctx, q).Scan(&repeated); err != nil {
		return fmt.Errorf("look for repeated keys in the staged rows of table %s: %w", k.root.Name, err)
	}
	if !repeated {
		k.latest = k.stage.Ref
		return nil
	}
	order := Ident(destination.SeqField) + " DESC"
	for _, c := range k.root.Columns {
		switch c.DedupSort {
		case schema.Desc:
			order = Ident(c.Name) + " DESC NULLS LAST, " + order
		case schema.Asc:
			order = Ident(c.Name) + " ASC NULLS LAST, " + order
		}
	}
	var err error
	if k.latest, err = w.CreateTemp(ctx, w.Dialect.FirstPerKey(k.stage.Ref, k.pk, order)); err != nil {
		return fmt.Errorf("keep the newest row per key of table %s: %w", k.root.Name, err)
	}
	return nil
}

// merge replaces stored objects by the staged ones with the same key,
// by the root table's merge strategy.
func (w *Writer) merge(ctx context.Context, tree []*schema.Table) error {
	k, err := w.prepareKeyed(ctx, tree)
	if err != nil || k == nil {
		return err
	}
	if k.root.MergeStrategy == schema.Upsert {
		return w.upsert(ctx, k)
	}
	return w.deleteInsert(ctx, k)
}

// deleteInsert deletes the stored root rows whose primary key or merge
// key equals that of a latest row, with their child rows (by
// _rl_root_id), and then inserts the latest rows that are not hard
// deletes with their staged child rows.
func (w *Writer) deleteInsert(ctx context.Context, k *keyed) error {
	replaced := k.matchingIDs()
	for _, t := range k.children {
		q := fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s)",
			Qualified(w.Package.Dataset, t.Name), Ident(schema.ColumnRootID), replaced)
		if err := w.Tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("delete replaced rows of table %s: %w", t.Name, err)
		}
	}
	for _, keys := range [][]string{k.pk, k.mk} {
		if len(keys) == 0 {
			continue
		}
		q := fmt.Sprintf("DELETE FROM %s AS t USING (SELECT DISTINCT %s FROM %s) AS k WHERE %s",
			k.target, ColumnList("", keys), k.latest, KeyMatch("t", "k", keys))
		if err := w.Tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("delete replaced rows of table %s: %w", k.root.Name, err)
		}
	}
	return w.insertLatest(ctx, k, k.latest, nil)
}

// matchingIDs returns a query of the _rl_id of every stored root row
// whose primary key or merge key equals that of a latest row.
func (k *keyed) matchingIDs() string {
	var parts []string
	for _, keys := range [][]string{k.pk, k.mk} {
		if len(keys) > 0 {
			parts = append(parts, fmt.Sprintf("SELECT t.%s FROM %s AS t JOIN (SELECT DISTINCT %s FROM %s) AS k ON %s",
				Ident(schema.ColumnID), k.target, ColumnList("", keys), k.latest, KeyMatch("t", "k", keys)))
		}
	}
	return strings.Join(parts, " UNION ")
}

// insertLatest inserts the rows of from, a table with the columns of
// latest, that are not hard deletes, and the staged child rows of those
// rows. exprs replaces the values of some root columns.
func (w *Writer) insertLatest(ctx context.Context, k *keyed, from string, exprs map[string]string) error {
	root := rowSource{from: from + " AS s", where: k.kept("s"), exprs: exprs}
	if err := w.insert(ctx, k.root, root); err != nil {
		return err
	}
	kept := fmt.Sprintf("s.%s IN (SELECT k.%s FROM %s AS k WHERE %s)",
		Ident(schema.ColumnRootID), Ident(schema.ColumnID), from, k.kept("k"))
	for _, t := range k.children {
		if s, ok := w.Stages[t.Name]; ok {
			if err := w.insert(ctx, t, rowSource{from: s.Ref + " AS s", where: kept}); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkKeys fails when a staged row of s has a NULL primary key column,
// which no stored row could match.
func (w *Writer) checkKeys(ctx context.Context, s *Stage, pk []string) error {
	conds := make([]string, len(pk))
	for i, c := range pk {
		conds[i] = Ident(c) + " IS NULL"
	}
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", s.Ref, strings.Join(conds, " OR "))
	var n int64
	if err := w.Tx.QueryRow(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("check primary key of table %s: %w", s.Table.Name, err)
	}
	if n > 0 {
		return fmt.Errorf("%d rows of table %s have no value in primary key column(s) %s",
			n, s.Table.Name, strings.Join(pk, ", "))
	}
	return nil
}
