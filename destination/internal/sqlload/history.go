package sqlload

import (
	"context"
	"fmt"

	"github.com/restload/restload/schema"
)

// history applies the staged rows of a history table (slowly changing
// dimension type 2). Each object has at most one current row, whose
// _rl_valid_to is NULL. The boundary time is the package's creation
// time. Per primary key, the latest staged row is compared with the
// current row by _rl_row_hash:
//   - no current row: the row is inserted, valid from the boundary;
//   - a different hash: the current row is closed (valid to the
//     boundary) and the row is inserted;
//   - the same hash: nothing changes, and the staged child rows are
//     dropped;
//   - a hard delete: the current row is closed and nothing is inserted.
//
// With RetireAbsent, current rows whose key is not in the package are
// closed too. A merge key limits that to rows whose merge key value is
// in the package. Child rows belong to one version of their root row, so
// a closed version keeps its child rows.
func (w *Writer) history(ctx context.Context, tree []*schema.Table) error {
	root := tree[0]
	for _, c := range []string{schema.ColumnValidFrom, schema.ColumnValidTo, schema.ColumnRowHash} {
		if root.Column(c) == nil {
			return fmt.Errorf("table %s has no %s column, which write disposition history needs", root.Name, c)
		}
	}
	boundary := w.Package.CreatedAt.UTC()
	if w.Package.CreatedAt.IsZero() {
		boundary = now()
	}
	timestamp, err := w.Dialect.Type(schema.Timestamp)
	if err != nil {
		return err
	}
	at := timestamp + " " + String(boundary.Format("2006-01-02 15:04:05.999999-07:00"))
	validTo := Ident(schema.ColumnValidTo)

	k, err := w.prepareKeyed(ctx, tree)
	if err != nil {
		return err
	}
	if k == nil {
		if !root.RetireAbsent {
			return nil
		}
		// The package covers the table and holds no rows: every object
		// is absent.
		q := fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s IS NULL",
			Qualified(w.Package.Dataset, root.Name), validTo, at, validTo)
		if err := w.Tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("close absent rows of table %s: %w", root.Name, err)
		}
		return nil
	}

	if err := w.closeVersions(ctx, k, at); err != nil {
		return err
	}
	// fresh holds the latest rows of objects without a current row,
	// which after the updates above are the new and the changed ones.
	q := fmt.Sprintf(`SELECT * FROM %s AS k
		WHERE NOT EXISTS (SELECT 1 FROM %s AS t WHERE %s AND t.%s IS NULL)`,
		k.latest, k.target, KeyMatch("t", "k", k.pk), validTo)
	fresh, err := w.CreateTemp(ctx, q)
	if err != nil {
		return fmt.Errorf("select new versions of table %s: %w", root.Name, err)
	}
	return w.insertLatest(ctx, k, fresh, map[string]string{
		schema.ColumnValidFrom: at,
		schema.ColumnValidTo:   "CAST(NULL AS " + timestamp + ")",
	})
}

// closeVersions sets _rl_valid_to to at on the current rows that the
// latest rows of k change or hard delete and, for a table with
// RetireAbsent, on those whose key the package lacks.
func (w *Writer) closeVersions(ctx context.Context, k *keyed, at string) error {
	validTo, hash := Ident(schema.ColumnValidTo), Ident(schema.ColumnRowHash)
	q := fmt.Sprintf(`UPDATE %s AS t SET %s = %s FROM %s AS k
		WHERE %s AND t.%s IS NULL AND (t.%s IS DISTINCT FROM k.%s OR %s)`,
		k.target, validTo, at, k.latest, KeyMatch("t", "k", k.pk), validTo, hash, hash, k.deleted("k"))
	if err := w.Tx.Exec(ctx, q); err != nil {
		return fmt.Errorf("close changed rows of table %s: %w", k.root.Name, err)
	}
	if !k.root.RetireAbsent {
		return nil
	}
	q = fmt.Sprintf("UPDATE %s AS t SET %s = %s WHERE t.%s IS NULL AND NOT EXISTS (SELECT 1 FROM %s AS k WHERE %s)",
		k.target, validTo, at, validTo, k.latest, KeyMatch("t", "k", k.pk))
	if len(k.mk) > 0 {
		q += fmt.Sprintf(" AND EXISTS (SELECT 1 FROM %s AS k WHERE %s)", k.latest, KeyMatch("t", "k", k.mk))
	}
	if err := w.Tx.Exec(ctx, q); err != nil {
		return fmt.Errorf("close absent rows of table %s: %w", k.root.Name, err)
	}
	return nil
}
