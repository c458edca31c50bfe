package duckdb

import (
	"context"

	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// stageKeys stages the key file at path into a new staging table with
// the columns of t, for marking deleted rows by key.
func (l *loader) stageKeys(ctx context.Context, t *schema.Table, path string) (*sqlload.Stage, error) {
	s, err := l.createStage(ctx, t)
	if err != nil {
		return nil, err
	}
	if err := l.appendFile(ctx, s, path); err != nil {
		return nil, err
	}
	return &s.Stage, nil
}
