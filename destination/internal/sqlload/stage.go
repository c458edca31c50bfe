package sqlload

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// Stage is a temporary table that collects the rows of all job files of
// one table before the write disposition moves them into the dataset.
// Root tables stage destination.SeqField as an extra last column.
type Stage struct {
	// Table is the dataset table whose columns the stage has.
	Table *schema.Table
	// Ref is the name to refer to the staging table by, quoted.
	Ref string
	// Files are the paths of the job files staged so far, for messages.
	Files []string

	// index maps a column name to its position in a staged row.
	index map[string]int
	seq   bool
}

// NewStage returns the stage of the rows of t in the staging table ref.
func NewStage(t *schema.Table, ref string) Stage {
	s := Stage{Table: t, Ref: ref, index: make(map[string]int, len(t.Columns)+1), seq: t.IsRoot()}
	for i, c := range t.Columns {
		s.index[c.Name] = i
	}
	if s.seq {
		s.index[destination.SeqField] = len(t.Columns)
	}
	return s
}

// Width returns the number of staged columns.
func (s *Stage) Width() int {
	if s.seq {
		return len(s.Table.Columns) + 1
	}
	return len(s.Table.Columns)
}

// Columns returns the names of the staged columns, in order.
func (s *Stage) Columns() []string {
	names := make([]string, 0, s.Width())
	for _, c := range s.Table.Columns {
		names = append(names, c.Name)
	}
	if s.seq {
		names = append(names, destination.SeqField)
	}
	return names
}

// ColumnDefs returns the column definitions of the staging table, joined
// by commas: each staged column's quoted name and the type that typeName
// returns for its data type, without constraints.
func (s *Stage) ColumnDefs(typeName func(schema.DataType) (string, error)) (string, error) {
	defs := make([]string, 0, s.Width())
	for _, c := range s.Table.Columns {
		typ, err := typeName(c.Type)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", c.Name, err)
		}
		defs = append(defs, Ident(c.Name)+" "+typ)
	}
	if s.seq {
		typ, err := typeName(schema.BigInt)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", destination.SeqField, err)
		}
		defs = append(defs, Ident(destination.SeqField)+" "+typ)
	}
	return strings.Join(defs, ", "), nil
}

// ReadObject reads the members of one JSON object of a job file, after
// its opening brace, into row, a row of s.Width() values. convert
// returns the driver value of a member for its column type. Members
// missing from the object leave their value unchanged, so callers clear
// row before each object.
func ReadObject[V any](s *Stage, dec *jsontext.Decoder, row []V,
	convert func(schema.DataType, jsontext.Value) (V, error)) error {
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
		if i < len(s.Table.Columns) {
			typ = s.Table.Columns[i].Type
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
func (s *Stage) column(quoted jsontext.Value) (int, error) {
	if raw := quoted[1 : len(quoted)-1]; bytes.IndexByte(raw, '\\') < 0 {
		// Indexing with a converted byte slice does not allocate.
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
	return 0, fmt.Errorf("key %q is not a column of table %s in the package schema", name, s.Table.Name)
}

// columnName returns the name of the column at row position i.
func (s *Stage) columnName(i int) string {
	if i < len(s.Table.Columns) {
		return s.Table.Columns[i].Name
	}
	return destination.SeqField
}
