package duckdb

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
		if len(root.PrimaryKey()) == 0 {
			// Without a primary key no stored row matches a new one,
			// so merge appends.
			err = l.insertAll(ctx, tree)
		} else {
			err = l.merge(ctx, tree)
		}
	case schema.Append, "":
		err = l.insertAll(ctx, tree)
	default:
		err = fmt.Errorf("unknown write disposition %q", disposition)
	}
	if err != nil {
		return fmt.Errorf("write %s table %s from %s: %w", disposition, root.Name, l.files(tree), err)
	}
	return nil
}

// insertAll inserts all staged rows of the tables.
func (l *loader) insertAll(ctx context.Context, tree []*schema.Table) error {
	for _, t := range tree {
		if s, ok := l.stages[t.Name]; ok {
			if err := l.insert(ctx, t, s.ref(), ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// replace deletes all stored rows of the tables and inserts the staged
// ones. Readers see the old rows until the transaction commits.
func (l *loader) replace(ctx context.Context, tree []*schema.Table) error {
	for _, t := range tree {
		if err := l.exec(ctx, "DELETE FROM "+qualified(l.p.Dataset, t.Name)); err != nil {
			return fmt.Errorf("delete rows of table %s: %w", t.Name, err)
		}
	}
	return l.insertAll(ctx, tree)
}

// merge replaces stored objects by the staged ones with the same primary
// key. Per key, only the staged root row with the highest _rl_seq is
// kept. The stored root rows with the kept keys are deleted, together with
// every descendant row whose _rl_root_id is the _rl_id of such a row.
// Then the kept root rows and the staged descendant rows of kept roots are
// inserted.
func (l *loader) merge(ctx context.Context, tree []*schema.Table) error {
	root, children := tree[0], tree[1:]
	rs, ok := l.stages[root.Name]
	if !ok {
		for _, t := range children {
			if _, ok := l.stages[t.Name]; ok {
				return fmt.Errorf("table %s has rows but its root table has none, so no row of it can be kept", t.Name)
			}
		}
		return nil
	}
	if len(children) > 0 && root.Column(schema.ColumnID) == nil {
		return fmt.Errorf("table %s has no %s column, which merge needs to find child rows", root.Name, schema.ColumnID)
	}
	for _, t := range children {
		if t.Column(schema.ColumnRootID) == nil {
			return fmt.Errorf("child table %s has no %s column, which merge needs to replace child rows", t.Name, schema.ColumnRootID)
		}
	}
	pk := root.PrimaryKey()
	if err := l.checkKeys(ctx, rs, pk); err != nil {
		return err
	}

	// latest holds the staged root row with the highest _rl_seq per key.
	latest := "temp.main." + ident(l.tempName())
	q := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s AS SELECT * FROM %s
		QUALIFY row_number() OVER (PARTITION BY %s ORDER BY %s DESC NULLS LAST) = 1`,
		latest, rs.ref(), columnList("", pk), ident(destination.SeqField))
	if err := l.exec(ctx, q); err != nil {
		return fmt.Errorf("keep the newest row per key of table %s: %w", root.Name, err)
	}

	if err := l.deleteReplaced(ctx, tree, latest, pk); err != nil {
		return err
	}
	if err := l.insert(ctx, root, latest, ""); err != nil {
		return err
	}
	ofLatest := fmt.Sprintf(" WHERE %s IN (SELECT %s FROM %s)",
		ident(schema.ColumnRootID), ident(schema.ColumnID), latest)
	for _, t := range children {
		if s, ok := l.stages[t.Name]; ok {
			if err := l.insert(ctx, t, s.ref(), ofLatest); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteReplaced deletes the stored root rows whose key is in latest and
// the descendant rows of those root rows. Descendants go first, because
// their root rows' _rl_id values are looked up by key.
func (l *loader) deleteReplaced(ctx context.Context, tree []*schema.Table, latest string, pk []string) error {
	root, children := tree[0], tree[1:]
	target := qualified(l.p.Dataset, root.Name)
	replaced := fmt.Sprintf("SELECT t.%s FROM %s AS t JOIN %s AS k ON %s",
		ident(schema.ColumnID), target, latest, keyMatch("t", "k", pk))
	for _, t := range children {
		q := fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s)",
			qualified(l.p.Dataset, t.Name), ident(schema.ColumnRootID), replaced)
		if err := l.exec(ctx, q); err != nil {
			return fmt.Errorf("delete replaced rows of table %s: %w", t.Name, err)
		}
	}
	q := fmt.Sprintf("DELETE FROM %s AS t USING %s AS k WHERE %s", target, latest, keyMatch("t", "k", pk))
	if err := l.exec(ctx, q); err != nil {
		return fmt.Errorf("delete replaced rows of table %s: %w", root.Name, err)
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
	if err := l.conn.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("check primary key of table %s: %w", s.table.Name, err)
	}
	if n > 0 {
		return fmt.Errorf("%d rows of table %s have no value in primary key column(s) %s",
			n, s.table.Name, strings.Join(pk, ", "))
	}
	return nil
}

// insert copies the rows of from, a staging table, into table t, keeping
// those that filter (a WHERE clause or "") selects. Root rows get the
// package's load id.
func (l *loader) insert(ctx context.Context, t *schema.Table, from, filter string) error {
	names := make([]string, len(t.Columns))
	exprs := make([]string, len(t.Columns))
	var args []any
	for i, c := range t.Columns {
		names[i] = c.Name
		exprs[i] = ident(c.Name)
		if t.IsRoot() && c.Name == schema.ColumnLoadID {
			exprs[i] = "CAST(? AS VARCHAR)"
			args = append(args, l.p.LoadID)
		}
	}
	if len(names) == 0 {
		return errors.New("table " + t.Name + " has no columns")
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s%s",
		qualified(l.p.Dataset, t.Name), columnList("", names), strings.Join(exprs, ", "), from, filter)
	if err := l.exec(ctx, q, args...); err != nil {
		return fmt.Errorf("insert rows into table %s: %w", t.Name, err)
	}
	return nil
}
