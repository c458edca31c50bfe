package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// write moves the staged rows of root and its descendants into the
// dataset by the root's write disposition.
func (l *loader) write(ctx context.Context, root *schema.Table) error {
	tree := append([]*schema.Table{root}, l.p.Schema.Descendants(root.Name)...)
	disposition := root.WriteDisposition
	var err error
	switch disposition {
	case schema.Replace:
		err = l.replace(ctx, tree)
	case schema.Merge:
		if len(root.PrimaryKey()) == 0 && len(mergeKey(root)) == 0 {
			// Without keys no stored row matches a new one, so merge
			// appends.
			err = l.insertAll(ctx, tree)
		} else {
			err = l.merge(ctx, tree)
		}
	case schema.History:
		err = l.history(ctx, tree)
	case schema.Append, "":
		err = l.insertAll(ctx, tree)
	default:
		err = fmt.Errorf("unknown write disposition %q", disposition)
	}
	if err == nil && disposition == schema.Merge && root.SoftDelete && l.complete(root) {
		err = l.markDeleted(ctx, root)
	}
	if err != nil {
		return fmt.Errorf("write %s table %s from %s: %w", disposition, root.Name, l.files(tree), err)
	}
	return nil
}

// complete reports whether the package lists every object of root's
// resource.
func (l *loader) complete(root *schema.Table) bool {
	for _, name := range l.p.Complete {
		if name == root.Name || name == root.Resource {
			return true
		}
	}
	return false
}

// markDeleted sets _rl_deleted_at on the live rows of root whose primary
// key has no staged row: objects that a complete listing no longer
// returned. Their child rows stay, reachable through the root row.
func (l *loader) markDeleted(ctx context.Context, root *schema.Table) error {
	pk := root.PrimaryKey()
	if len(pk) == 0 || root.Column(schema.ColumnDeletedAt) == nil {
		return fmt.Errorf("table %s tracks deletes but lacks a primary key or the %s column", root.Name, schema.ColumnDeletedAt)
	}
	deletedAt := ident(schema.ColumnDeletedAt)
	q := fmt.Sprintf("UPDATE %s AS t SET %s = $1 WHERE t.%s IS NULL",
		qualified(l.p.Dataset, root.Name), deletedAt, deletedAt)
	if s, ok := l.stages[root.Name]; ok {
		q += fmt.Sprintf(" AND NOT EXISTS (SELECT 1 FROM %s AS s WHERE %s)", s.ref(), keyMatch("t", "s", pk))
	}
	if err := l.exec(ctx, q, l.p.CreatedAt.UTC()); err != nil {
		return fmt.Errorf("mark rows of table %s deleted: %w", root.Name, err)
	}
	return nil
}

// insertAll inserts all staged rows of the tables.
func (l *loader) insertAll(ctx context.Context, tree []*schema.Table) error {
	for _, t := range tree {
		if s, ok := l.stages[t.Name]; ok {
			if err := l.insert(ctx, t, rowSource{from: s.ref() + " AS s"}); err != nil {
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
// lock would block readers until the commit.
func (l *loader) replace(ctx context.Context, tree []*schema.Table) error {
	for _, t := range tree {
		if err := l.exec(ctx, "DELETE FROM "+qualified(l.p.Dataset, t.Name)); err != nil {
			return fmt.Errorf("delete rows of table %s: %w", t.Name, err)
		}
	}
	return l.insertAll(ctx, tree)
}

// keyed is the state of a merge or history load of one root table,
// whose rows are matched to stored ones by key.
type keyed struct {
	root     *schema.Table
	children []*schema.Table
	stage    *stage
	target   string   // qualified root table
	pk       []string // primary key columns
	mk       []string // merge key columns
	// latest is the temporary table of the staged root rows to apply:
	// per primary key the row that the dedup order puts first, or every
	// staged row without a primary key.
	latest string
}

// deleted returns the condition on a row aliased alias that marks it as
// a hard delete, "false" without a hard delete column.
func (k *keyed) deleted(alias string) string {
	return hardDeleteCondition(k.root, alias)
}

// kept returns the condition on a row aliased alias that marks it as no
// hard delete.
func (k *keyed) kept(alias string) string {
	return "NOT (" + k.deleted(alias) + ")"
}

// prepareKeyed checks the tables of a merge or history load and builds
// the table of latest root rows. It returns nil when the root table has
// no staged rows.
func (l *loader) prepareKeyed(ctx context.Context, tree []*schema.Table) (*keyed, error) {
	root, children := tree[0], tree[1:]
	rs, ok := l.stages[root.Name]
	if !ok {
		for _, t := range children {
			if _, ok := l.stages[t.Name]; ok {
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
		root: root, children: children, stage: rs, target: qualified(l.p.Dataset, root.Name),
		pk: root.PrimaryKey(), mk: mergeKey(root),
	}
	if len(k.pk) > 0 {
		if err := l.checkKeys(ctx, rs, k.pk); err != nil {
			return nil, err
		}
	}
	if err := l.keepLatest(ctx, k); err != nil {
		return nil, err
	}
	return k, nil
}

// keepLatest creates k.latest. Per primary key it keeps the staged row
// with the highest (dedup sort desc) or lowest (asc) value of the dedup
// sort column, NULLs last, and among equal values the one with the
// highest _rl_seq, which the source returned last.
func (l *loader) keepLatest(ctx context.Context, k *keyed) error {
	var err error
	if len(k.pk) == 0 {
		k.latest, err = l.createTemp(ctx, "SELECT * FROM "+k.stage.ref())
		if err != nil {
			return fmt.Errorf("copy staged rows of table %s: %w", k.root.Name, err)
		}
		return nil
	}
	order := ident(destination.SeqField) + " DESC"
	for _, c := range k.root.Columns {
		switch c.DedupSort {
		case schema.Desc:
			order = ident(c.Name) + " DESC NULLS LAST, " + order
		case schema.Asc:
			order = ident(c.Name) + " ASC NULLS LAST, " + order
		}
	}
	// DISTINCT ON keeps the first row of each key in the ORDER BY, whose
	// leading columns must be the key.
	q := fmt.Sprintf("SELECT DISTINCT ON (%s) * FROM %s ORDER BY %s, %s",
		columnList("", k.pk), k.stage.ref(), columnList("", k.pk), order)
	if k.latest, err = l.createTemp(ctx, q); err != nil {
		return fmt.Errorf("keep the newest row per key of table %s: %w", k.root.Name, err)
	}
	return nil
}

// merge replaces stored objects by the staged ones with the same key,
// by the root table's merge strategy.
func (l *loader) merge(ctx context.Context, tree []*schema.Table) error {
	k, err := l.prepareKeyed(ctx, tree)
	if err != nil || k == nil {
		return err
	}
	if k.root.MergeStrategy == schema.Upsert {
		return l.upsert(ctx, k)
	}
	return l.deleteInsert(ctx, k)
}

// deleteInsert deletes the stored root rows whose primary key or merge
// key equals that of a latest row, with their child rows (by
// _rl_root_id), and then inserts the latest rows that are not hard
// deletes with their staged child rows.
func (l *loader) deleteInsert(ctx context.Context, k *keyed) error {
	replaced := k.matchingIDs()
	for _, t := range k.children {
		q := fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s)",
			qualified(l.p.Dataset, t.Name), ident(schema.ColumnRootID), replaced)
		if err := l.exec(ctx, q); err != nil {
			return fmt.Errorf("delete replaced rows of table %s: %w", t.Name, err)
		}
	}
	for _, keys := range [][]string{k.pk, k.mk} {
		if len(keys) == 0 {
			continue
		}
		q := fmt.Sprintf("DELETE FROM %s AS t USING (SELECT DISTINCT %s FROM %s) AS k WHERE %s",
			k.target, columnList("", keys), k.latest, keyMatch("t", "k", keys))
		if err := l.exec(ctx, q); err != nil {
			return fmt.Errorf("delete replaced rows of table %s: %w", k.root.Name, err)
		}
	}
	return l.insertLatest(ctx, k, k.latest, nil)
}

// matchingIDs returns a query of the _rl_id of every stored root row
// whose primary key or merge key equals that of a latest row.
func (k *keyed) matchingIDs() string {
	var parts []string
	for _, keys := range [][]string{k.pk, k.mk} {
		if len(keys) > 0 {
			parts = append(parts, fmt.Sprintf("SELECT t.%s FROM %s AS t JOIN (SELECT DISTINCT %s FROM %s) AS k ON %s",
				ident(schema.ColumnID), k.target, columnList("", keys), k.latest, keyMatch("t", "k", keys)))
		}
	}
	return strings.Join(parts, " UNION ")
}

// insertLatest inserts the rows of from, a table with the columns of
// latest, that are not hard deletes, and the staged child rows of those
// rows. exprs replaces the values of some root columns.
func (l *loader) insertLatest(ctx context.Context, k *keyed, from string, exprs map[string]string) error {
	root := rowSource{from: from + " AS s", where: k.kept("s"), exprs: exprs}
	if err := l.insert(ctx, k.root, root); err != nil {
		return err
	}
	kept := fmt.Sprintf("s.%s IN (SELECT k.%s FROM %s AS k WHERE %s)",
		ident(schema.ColumnRootID), ident(schema.ColumnID), from, k.kept("k"))
	for _, t := range k.children {
		if s, ok := l.stages[t.Name]; ok {
			if err := l.insert(ctx, t, rowSource{from: s.ref() + " AS s", where: kept}); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkKeys fails when a staged root row has a NULL primary key column,
// which merge could match with no stored row.
func (l *loader) checkKeys(ctx context.Context, s *stage, pk []string) error {
	conds := make([]string, len(pk))
	for i, c := range pk {
		conds[i] = ident(c) + " IS NULL"
	}
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", s.ref(), strings.Join(conds, " OR "))
	var n int64
	if err := l.tx.QueryRow(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("check primary key of table %s: %w", s.table.Name, err)
	}
	if n > 0 {
		return fmt.Errorf("%d rows of table %s have no value in primary key column(s) %s",
			n, s.table.Name, strings.Join(pk, ", "))
	}
	return nil
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
func (l *loader) insert(ctx context.Context, t *schema.Table, src rowSource) error {
	names := make([]string, len(t.Columns))
	exprs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
		exprs[i] = "s." + ident(c.Name)
		if e, ok := src.exprs[c.Name]; ok {
			exprs[i] = e
		} else if t.IsRoot() && c.Name == schema.ColumnLoadID {
			exprs[i] = sqlString(l.p.LoadID)
		}
	}
	if len(names) == 0 {
		return errors.New("table " + t.Name + " has no columns")
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s",
		qualified(l.p.Dataset, t.Name), columnList("", names), strings.Join(exprs, ", "), src.from)
	if src.where != "" {
		q += " WHERE " + src.where
	}
	if err := l.exec(ctx, q); err != nil {
		return fmt.Errorf("insert rows into table %s: %w", t.Name, err)
	}
	return nil
}

// mergeKey returns the merge key columns of t.
func mergeKey(t *schema.Table) []string {
	return t.ColumnsWhere(func(c *schema.Column) bool { return c.MergeKey })
}

// hardDeleteCondition returns the SQL condition on a row aliased alias of
// t that marks a hard delete: the hard delete column is true, for a bool
// column, or not NULL otherwise. It is "false" when t has no such column.
func hardDeleteCondition(t *schema.Table, alias string) string {
	for _, c := range t.Columns {
		if !c.HardDelete {
			continue
		}
		if c.Type == schema.Bool {
			return alias + "." + ident(c.Name) + " IS TRUE"
		}
		return alias + "." + ident(c.Name) + " IS NOT NULL"
	}
	return "false"
}
