package postgres

import (
	"context"
	"fmt"

	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// stageKeys copies the key file at path into a new staging table with
// the columns of t, for marking deleted rows by key. It analyzes the
// table, so that the planner's estimates use its row count.
func (l *loader) stageKeys(ctx context.Context, t *schema.Table, path string) (*sqlload.Stage, error) {
	s, err := l.createStage(ctx, t)
	if err != nil {
		return nil, err
	}
	if _, err := s.copyFile(ctx, l.tx, path); err != nil {
		return nil, err
	}
	if err := l.exec(ctx, "ANALYZE "+s.Ref); err != nil {
		return nil, fmt.Errorf("analyze staged keys: %w", err)
	}
	return &s.Stage, nil
}
