package duckdb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// stage is the temporary table that collects the rows of all job files of
// one table, before the write disposition moves them into the dataset.
type stage struct {
	sqlload.Stage
	name string // unquoted name in the temp catalog
}

func newStage(t *schema.Table, name string) *stage {
	return &stage{Stage: sqlload.NewStage(t, tempRef(name)), name: name}
}

// createSQL returns the statement that creates the staging table, with
// the types of the target columns and without constraints. JSON columns
// are staged as VARCHAR: the appender would encode a Go string as a JSON
// string, while DuckDB's cast from VARCHAR to JSON keeps the text.
func (s *stage) createSQL() (string, error) {
	defs, err := s.ColumnDefs(stageType)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s (%s)", s.Ref, defs), nil
}

// stageType returns the type of a staged column of type t.
func stageType(t schema.DataType) (string, error) {
	if t == schema.JSON {
		return "VARCHAR", nil
	}
	return sqlType(t)
}

// appendFile appends the rows of the job file at path to the staging
// table through an appender on dc, the driver connection of the load's
// transaction. It returns the number of rows.
func (s *stage) appendFile(ctx context.Context, dc driver.Conn, path string) (int64, error) {
	f, err := destination.OpenJob(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()

	app, err := duckdbdriver.NewAppender(dc, "temp", "main", s.name)
	if err != nil {
		return 0, fmt.Errorf("create appender for %s: %w", s.name, err)
	}
	n, err := s.appendRows(ctx, jsontext.NewDecoder(f), app)
	if cerr := app.CloseWithCancel(ctx); err == nil && cerr != nil {
		err = fmt.Errorf("flush rows: %w", cerr)
	}
	return n, err
}

// batchRows is the number of rows that the reader hands to the appender
// at a time.
const batchRows = 1024

// batch is a run of parsed rows. Its first row has the 1-based row number
// first in its file.
type batch struct {
	first int64
	rows  [][]driver.Value
}

// appendRows reads JSON objects from dec until the end of input and
// appends one row per object. Parsing runs in its own goroutine, so that
// it overlaps with the appender's work. It returns the number of rows.
func (s *stage) appendRows(ctx context.Context, dec *jsontext.Decoder, app *duckdbdriver.Appender) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan *batch, 2)
	free := make(chan *batch, 3)
	var (
		n       int64
		readErr error
	)
	go func() {
		defer close(full)
		n, readErr = s.readRows(ctx, dec, full, free)
	}()

	var appendErr error
	for b := range full {
		for i, row := range b.rows {
			if appendErr != nil {
				break
			}
			if err := app.AppendRow(row...); err != nil {
				appendErr = fmt.Errorf("row %d: %w", b.first+int64(i), err)
				cancel()
			}
		}
		select {
		case free <- b:
		default:
		}
	}
	if appendErr != nil {
		return n, appendErr
	}
	return n, readErr
}

// readRows parses the objects of dec into batches and sends them on full,
// reusing the batches that come back on free. It returns the number of
// objects read.
func (s *stage) readRows(ctx context.Context, dec *jsontext.Decoder, full, free chan *batch) (int64, error) {
	var (
		n   int64
		cur *batch
	)
	send := func() error {
		select {
		case full <- cur:
			cur = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			if cur != nil {
				return n, send()
			}
			return n, nil
		}
		n++
		if err != nil {
			return n, fmt.Errorf("row %d: %w", n, err)
		}
		if tok.Kind() != '{' {
			return n, fmt.Errorf("row %d: expected a JSON object, got %s", n, sqlload.KindName(tok.Kind()))
		}
		if cur == nil {
			cur = s.nextBatch(free)
			cur.first = n
		}
		row := cur.rows[:len(cur.rows)+1][len(cur.rows)]
		clear(row)
		if err := sqlload.ReadObject(&s.Stage, dec, row, convert); err != nil {
			return n, fmt.Errorf("row %d: %w", n, err)
		}
		cur.rows = cur.rows[:len(cur.rows)+1]
		if len(cur.rows) == batchRows {
			if err := send(); err != nil {
				return n, err
			}
		}
	}
}

// nextBatch returns an empty batch, reused from free when one is there.
func (s *stage) nextBatch(free chan *batch) *batch {
	select {
	case b := <-free:
		b.rows = b.rows[:0]
		return b
	default:
	}
	values := make([]driver.Value, batchRows*s.Width())
	rows := make([][]driver.Value, batchRows)
	for i := range rows {
		rows[i] = values[i*s.Width() : (i+1)*s.Width() : (i+1)*s.Width()]
	}
	return &batch{rows: rows[:0]}
}
