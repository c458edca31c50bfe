package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/jackc/pgx/v5"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// stage is the temporary table that collects the rows of all job files of
// one table, before the write disposition moves them into the dataset.
// It is dropped when the load's transaction ends.
type stage struct {
	table *schema.Table
	name  string // unquoted name in the session's temporary schema
	// index maps a column name to its position in a staged row. Root
	// tables stage _rl_seq as an extra last column.
	index map[string]int
	seq   bool
	files []string
}

func newStage(t *schema.Table, name string) *stage {
	s := &stage{table: t, name: name, index: make(map[string]int, len(t.Columns)+1), seq: t.IsRoot()}
	for i, c := range t.Columns {
		s.index[c.Name] = i
	}
	if s.seq {
		s.index[destination.SeqField] = len(t.Columns)
	}
	return s
}

// ref returns the qualified name of the staging table.
func (s *stage) ref() string { return temp(s.name) }

// columns returns the names of the staged columns, in order.
func (s *stage) columns() []string {
	names := make([]string, 0, len(s.table.Columns)+1)
	for _, c := range s.table.Columns {
		names = append(names, c.Name)
	}
	if s.seq {
		names = append(names, destination.SeqField)
	}
	return names
}

// createSQL returns the statement that creates the staging table, with
// the types of the target columns and without constraints, so that a
// missing value fails only when the rows move into the dataset.
func (s *stage) createSQL() (string, error) {
	defs := make([]string, 0, len(s.table.Columns)+1)
	for _, c := range s.table.Columns {
		typ, err := sqlType(c.Type)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", c.Name, err)
		}
		defs = append(defs, ident(c.Name)+" "+typ)
	}
	if s.seq {
		defs = append(defs, ident(destination.SeqField)+" bigint")
	}
	return fmt.Sprintf("CREATE TEMP TABLE %s (%s) ON COMMIT DROP", ident(s.name), strings.Join(defs, ", ")), nil
}

// copyFile copies the rows of the job file at path into the staging
// table with COPY ... FROM STDIN in binary format. It returns the number
// of rows.
func (s *stage) copyFile(ctx context.Context, tx pgx.Tx, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	src := &jobRows{stage: s, dec: jsontext.NewDecoder(f), row: make([]any, len(s.columns()))}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"pg_temp", s.name}, s.columns(), src)
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
		r.err = fmt.Errorf("row %d: expected a JSON object, got %s", r.n, kindName(tok.Kind()))
		return false
	}
	clear(r.row)
	if err := r.stage.readObject(r.dec, r.row); err != nil {
		r.err = fmt.Errorf("row %d: %w", r.n, err)
		return false
	}
	return true
}

func (r *jobRows) Values() ([]any, error) { return r.row, nil }

func (r *jobRows) Err() error { return r.err }

// readObject reads the members of one object, after its opening brace,
// into row.
func (s *stage) readObject(dec *jsontext.Decoder, row []any) error {
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil {
			return err
		}
		i, err := s.column(name)
		if err != nil {
			return err
		}
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if i < 0 {
			continue
		}
		typ := schema.BigInt // the type of _rl_seq
		if i < len(s.table.Columns) {
			typ = s.table.Columns[i].Type
		}
		if row[i], err = convert(typ, v); err != nil {
			return fmt.Errorf("column %s: %w", s.columnName(i), err)
		}
	}
	_, err := dec.ReadToken()
	return err
}

// column returns the row position for the quoted object member name, or
// -1 for _rl_seq in a child row, which is ignored.
func (s *stage) column(quoted jsontext.Value) (int, error) {
	if raw := quoted[1 : len(quoted)-1]; bytes.IndexByte(raw, '\\') < 0 {
		if i, ok := s.index[string(raw)]; ok {
			return i, nil
		}
	}
	name, err := unquote(quoted)
	if err != nil {
		return 0, err
	}
	if i, ok := s.index[name]; ok {
		return i, nil
	}
	if name == destination.SeqField {
		return -1, nil
	}
	return 0, fmt.Errorf("key %q is not a column of table %s in the package schema", name, s.table.Name)
}

func (s *stage) columnName(i int) string {
	if i < len(s.table.Columns) {
		return s.table.Columns[i].Name
	}
	return destination.SeqField
}
