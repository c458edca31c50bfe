package sqlload

import (
	"context"
	"fmt"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// KeyStager stages the key file at path into a new staging table with
// the columns of t, a key table from destination.KeyTable, and returns
// the stage.
type KeyStager func(ctx context.Context, t *schema.Table, path string) (*Stage, error)

// MarkDeletedKeys stages the key files of the package's Deletes with
// stage and sets _rl_deleted_at to the package's creation time on the
// stored rows with those keys whose mark is not set yet. Call it after
// every table is written, so that rows the package itself wrote are
// marked too.
func (w *Writer) MarkDeletedKeys(ctx context.Context, stage KeyStager) error {
	for _, job := range w.Package.Deletes {
		root, err := destination.DeleteTarget(w.Package.Schema, job)
		if err != nil {
			return err
		}
		if err := w.markKeys(ctx, root, job.Path, stage); err != nil {
			return fmt.Errorf("mark rows of table %s deleted by the keys in %s: %w", root.Name, job.Path, err)
		}
	}
	return nil
}

// markKeys marks the rows of root whose primary key is in the key file
// at path.
func (w *Writer) markKeys(ctx context.Context, root *schema.Table, path string, stage KeyStager) error {
	s, err := stage(ctx, destination.KeyTable(root), path)
	if err != nil {
		return err
	}
	pk := root.PrimaryKey()
	if err := w.checkKeys(ctx, s, pk); err != nil {
		return err
	}
	deletedAt := Ident(schema.ColumnDeletedAt)
	q := fmt.Sprintf("UPDATE %s AS t SET %s = %s WHERE t.%s IS NULL AND EXISTS (SELECT 1 FROM %s AS s WHERE %s)",
		Qualified(w.Package.Dataset, root.Name), deletedAt, w.Dialect.Param(1), deletedAt, s.Ref, KeyMatch("t", "s", pk))
	return w.Tx.Exec(ctx, q, w.Package.CreatedAt.UTC())
}
