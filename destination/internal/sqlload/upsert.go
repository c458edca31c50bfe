package sqlload

import (
	"context"
	"fmt"
	"strings"

	"github.com/restload/restload/schema"
)

// upsert applies the latest rows of k by the upsert strategy. A stored
// root row with the key of a latest row is updated in place and keeps
// its _rl_id. A latest row without a stored one is inserted. The stored
// child rows of every matched object are deleted. The staged child rows
// are inserted with their links to the root row moved to the stored
// _rl_id. Hard deletes delete the stored row and its child rows.
func (w *Writer) upsert(ctx context.Context, k *keyed) error {
	ids, err := w.matchStored(ctx, k)
	if err != nil {
		return err
	}
	for _, t := range k.children {
		q := fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s)",
			Qualified(w.Package.Dataset, t.Name), Ident(schema.ColumnRootID), k.matchingIDs())
		if err := w.Tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("delete replaced rows of table %s: %w", t.Name, err)
		}
	}
	q := fmt.Sprintf("DELETE FROM %s AS t USING %s AS k WHERE %s AND %s",
		k.target, k.latest, KeyMatch("t", "k", k.pk), k.deleted("k"))
	if err := w.Tx.Exec(ctx, q); err != nil {
		return fmt.Errorf("delete hard deleted rows of table %s: %w", k.root.Name, err)
	}

	// The SET list names target columns without the alias, because
	// PostgreSQL rejects an alias there.
	var sets []string
	for _, c := range k.root.Columns {
		switch {
		case c.Name == schema.ColumnID || c.PrimaryKey:
		case c.Name == schema.ColumnLoadID:
			sets = append(sets, Ident(c.Name)+" = "+String(w.Package.LoadID))
		default:
			sets = append(sets, Ident(c.Name)+" = k."+Ident(c.Name))
		}
	}
	if len(sets) > 0 {
		q = fmt.Sprintf("UPDATE %s AS t SET %s FROM %s AS k WHERE %s AND %s",
			k.target, strings.Join(sets, ", "), k.latest, KeyMatch("t", "k", k.pk), k.kept("k"))
		if err := w.Tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("update rows of table %s: %w", k.root.Name, err)
		}
	}

	// New objects: latest rows without a stored row.
	fresh := fmt.Sprintf("%s AS s WHERE s.%s NOT IN (SELECT new_id FROM %s) AND %s",
		k.latest, Ident(schema.ColumnID), ids, k.kept("s"))
	if err := w.insert(ctx, k.root, rowSource{from: fresh}); err != nil {
		return err
	}
	return w.insertRelinked(ctx, k, ids)
}

// matchStored creates the temporary table that maps the _rl_id of each
// latest row (new_id) to that of the stored root row with its key
// (old_id), and returns its name.
func (w *Writer) matchStored(ctx context.Context, k *keyed) (string, error) {
	id := Ident(schema.ColumnID)
	q := fmt.Sprintf(`SELECT k.%s AS new_id, min(t.%s) AS old_id FROM %s AS k JOIN %s AS t ON %s GROUP BY k.%s`,
		id, id, k.latest, k.target, KeyMatch("t", "k", k.pk), id)
	ids, err := w.CreateTemp(ctx, q)
	if err != nil {
		return "", fmt.Errorf("match stored rows of table %s: %w", k.root.Name, err)
	}
	return ids, nil
}

// insertRelinked inserts the staged child rows of the latest rows that
// are not hard deletes. Rows whose root row matched a stored one, by the
// table ids from matchStored, get the stored _rl_id as their
// _rl_root_id, and as their _rl_parent_id when the root row is their
// parent.
func (w *Writer) insertRelinked(ctx context.Context, k *keyed, ids string) error {
	id, rootID, parentID := Ident(schema.ColumnID), Ident(schema.ColumnRootID), Ident(schema.ColumnParentID)
	kept := fmt.Sprintf("s.%s IN (SELECT k.%s FROM %s AS k WHERE %s)", rootID, id, k.latest, k.kept("k"))
	for _, t := range k.children {
		s, ok := w.Stages[t.Name]
		if !ok {
			continue
		}
		src := rowSource{
			from:  fmt.Sprintf("%s AS s LEFT JOIN %s AS m ON m.new_id = s.%s", s.Ref, ids, rootID),
			where: kept,
			exprs: map[string]string{
				schema.ColumnRootID: fmt.Sprintf("coalesce(m.old_id, s.%s)", rootID),
				schema.ColumnParentID: fmt.Sprintf("CASE WHEN s.%s = s.%s THEN coalesce(m.old_id, s.%s) ELSE s.%s END",
					parentID, rootID, parentID, parentID),
			},
		}
		if err := w.insert(ctx, t, src); err != nil {
			return err
		}
	}
	return nil
}
