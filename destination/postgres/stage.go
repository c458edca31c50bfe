package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/jackc/pgx/v5"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// stage is the temporary table that collects the rows of all job files of
// one table, before the write disposition moves them into the dataset.
// It is dropped when the load's transaction ends.
type stage struct {
	sqlload.Stage
	name string // unquoted name in the session's temporary schema
}

func newStage(t *schema.Table, name string) *stage {
	return &stage{Stage: sqlload.NewStage(t, temp(name)), name: name}
}

// createSQL returns the statement that creates the staging table, with
// the types of the target columns and without constraints, so that a
// missing value fails only when the rows move into the dataset.
func (s *stage) createSQL() (string, error) {
	defs, err := s.ColumnDefs(sqlType)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("CREATE TEMP TABLE %s (%s) ON COMMIT DROP", sqlload.Ident(s.name), defs), nil
}

// copyFile copies the rows of the job file at path into the staging
// table with COPY ... FROM STDIN in binary format. It returns the number
// of rows.
func (s *stage) copyFile(ctx context.Context, tx pgx.Tx, path string) (int64, error) {
	f, err := destination.OpenJob(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	src := &jobRows{stage: s, dec: jsontext.NewDecoder(f), row: make([]any, s.Width())}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"pg_temp", s.name}, s.Columns(), src)
	if src.err != nil {
		// The reader's error names the row; the driver's may not.
		return n, src.err
	}
	return n, err
}

// jobRows reads the rows of a job file for pgx's CopyFrom.
type jobRows struct {
	stage *stage
	dec   *jsontext.Decoder
	row   []any // reused: CopyFrom encodes each row before the next
	n     int64
	err   error
}

// Next reads the next JSON object into the row. It returns false at the
// end of the file and on an error, which Err then returns.
func (r *jobRows) Next() bool {
	tok, err := r.dec.ReadToken()
	if errors.Is(err, io.EOF) {
		return false
	}
	r.n++
	if err != nil {
		r.err = fmt.Errorf("row %d: %w", r.n, err)
		return false
	}
	if tok.Kind() != '{' {
		r.err = fmt.Errorf("row %d: expected a JSON object, got %s", r.n, sqlload.KindName(tok.Kind()))
		return false
	}
	clear(r.row)
	if err := sqlload.ReadObject(&r.stage.Stage, r.dec, r.row, convert); err != nil {
		r.err = fmt.Errorf("row %d: %w", r.n, err)
		return false
	}
	return true
}

func (r *jobRows) Values() ([]any, error) { return r.row, nil }

func (r *jobRows) Err() error { return r.err }
