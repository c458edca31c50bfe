package postgres

import (
	"context"
	"fmt"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// markDeletedKeys stages the key files of p.Deletes and sets
// _rl_deleted_at to the package's creation time on the stored rows with
// those keys whose mark is not set yet. It runs after every table is
// written, so rows that the package itself wrote are marked too.
func (l *loader) markDeletedKeys(ctx context.Context) error {
	for _, job := range l.p.Deletes {
		root, err := destination.DeleteTarget(l.p.Schema, job)
		if err != nil {
			return err
		}
		if err := l.markKeys(ctx, root, job.Path); err != nil {
			return fmt.Errorf("mark rows of table %s deleted by the keys in %s: %w", root.Name, job.Path, err)
		}
	}
	return nil
}

// markKeys marks the rows of root whose primary key is in the key file
// at path.
func (l *loader) markKeys(ctx context.Context, root *schema.Table, path string) error {
	s := newStage(destination.KeyTable(root), l.tempName())
	q, err := s.createSQL()
	if err != nil {
		return err
	}
	if err := l.exec(ctx, q); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	if _, err := s.copyFile(ctx, l.tx, path); err != nil {
		return err
	}
	pk := root.PrimaryKey()
	if err := l.checkKeys(ctx, s, pk); err != nil {
		return err
	}
	if err := l.exec(ctx, "ANALYZE "+s.ref()); err != nil {
		return fmt.Errorf("analyze staged keys: %w", err)
	}
	deletedAt := ident(schema.ColumnDeletedAt)
	q = fmt.Sprintf("UPDATE %s AS t SET %s = $1 WHERE t.%s IS NULL AND EXISTS (SELECT 1 FROM %s AS s WHERE %s)",
		qualified(l.p.Dataset, root.Name), deletedAt, deletedAt, s.ref(), keyMatch("t", "s", pk))
	return l.exec(ctx, q, l.p.CreatedAt.UTC())
}
