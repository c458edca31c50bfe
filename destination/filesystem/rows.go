package filesystem

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// decimalScale and decimalPrecision define the decimal type of data
// files: DECIMAL(38,9), the type that the DuckDB destination uses.
const (
	decimalScale     = 9
	decimalPrecision = 38
)

// column is one column of a data file.
type column struct {
	name string
	typ  schema.DataType
}

// hardDeleteField is the bool column of root table files that marks hard
// deletes. It records the hard delete column of the package's schema,
// which a later schema may no longer flag.
const hardDeleteField = "_rl_hard_delete"

// fileColumns returns the columns of the data files of table t: its
// schema columns, and for a root table also _rl_load_id, when the schema
// lacks it, _rl_seq and, with a hard delete column, _rl_hard_delete.
func fileColumns(t *schema.Table) []column {
	cols := make([]column, 0, len(t.Columns)+2)
	for _, c := range t.Columns {
		cols = append(cols, column{c.Name, c.Type})
	}
	if t.IsRoot() {
		if t.Column(schema.ColumnLoadID) == nil {
			cols = append(cols, column{schema.ColumnLoadID, schema.Text})
		}
		cols = append(cols, column{destination.SeqField, schema.BigInt})
		if hardDeleteColumn(t) != nil {
			cols = append(cols, column{hardDeleteField, schema.Bool})
		}
	}
	return cols
}

// hardDeleteColumn returns the first column of t flagged hard delete, or
// nil.
func hardDeleteColumn(t *schema.Table) *schema.Column {
	for _, c := range t.Columns {
		if c.HardDelete {
			return c
		}
	}
	return nil
}

// isHardDelete reports whether v, a value of the hard delete column c,
// deletes its object: true for a bool column, not NULL for other types.
func isHardDelete(c *schema.Column, v any) bool {
	if c.Type == schema.Bool {
		return v == true
	}
	return v != nil
}

// readJob calls emit with the values of every line of a job file, in
// the order of cols. Values are nil (NULL), string (text, json),
// int64, float64, *big.Int (decimal, scaled by 10^9), bool, time.Time
// (timestamp in UTC to the microsecond, date at midnight UTC) or []byte.
// fixed holds values that replace those of the file.
func readJob(path string, cols []column, fixed map[string]any, emit func([]any) error) error {
	f, err := destination.OpenJob(path)
	if err != nil {
		return err
	}
	defer f.Close()
	index := make(map[string]int, len(cols))
	for i, c := range cols {
		index[c.name] = i
	}
	dec := jsontext.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	for line := 1; ; line++ {
		row, err := readRow(dec, cols, index)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("row %d: %w", line, err)
		}
		for name, v := range fixed {
			if i, ok := index[name]; ok {
				row[i] = v
			}
		}
		if err := emit(row); err != nil {
			return err
		}
	}
}

// readRow reads one JSON object from dec into a row. Keys that are not
// columns are rejected, because they would be lost without a trace.
func readRow(dec *jsontext.Decoder, cols []column, index map[string]int) ([]any, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	if tok.Kind() != '{' {
		return nil, fmt.Errorf("expected a JSON object, got %s", tok.Kind())
	}
	row := make([]any, len(cols))
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String()
		v, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		i, ok := index[name]
		if !ok {
			return nil, fmt.Errorf("key %q is not a column of the table in the package schema", name)
		}
		if row[i], err = convert(cols[i].typ, v); err != nil {
			return nil, fmt.Errorf("column %s: %w", cols[i].name, err)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	return row, nil
}

// convert returns the Go value of a JSON value for a column of type t.
func convert(t schema.DataType, v jsontext.Value) (any, error) {
	k := v.Kind()
	if k == 'n' {
		return nil, nil
	}
	switch t {
	case schema.JSON:
		return string(v.Clone()), nil
	case schema.Bool:
		if k != 't' && k != 'f' {
			return nil, fmt.Errorf("expected a JSON boolean, got %s", k)
		}
		return k == 't', nil
	case schema.BigInt, schema.Double, schema.Decimal:
		if k != '0' {
			return nil, fmt.Errorf("expected a JSON number, got %s", k)
		}
		return convertNumber(t, string(v))
	case schema.Text, schema.Timestamp, schema.Date, schema.Binary:
		if k != '"' {
			return nil, fmt.Errorf("expected a JSON string, got %s", k)
		}
		b, err := jsontext.AppendUnquote(nil, v)
		if err != nil {
			return nil, err
		}
		return convertString(t, string(b))
	}
	return nil, fmt.Errorf("unknown data type %q", t)
}

func convertString(t schema.DataType, s string) (any, error) {
	switch t {
	case schema.Timestamp:
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("invalid RFC 3339 timestamp %q", s)
		}
		return ts.UTC().Truncate(time.Microsecond), nil
	case schema.Date:
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("invalid date %q, expected YYYY-MM-DD", s)
		}
		return d, nil
	case schema.Binary:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("invalid base64: %w", err)
		}
		return b, nil
	}
	return s, nil
}

var (
	decimalFactor = new(big.Int).Exp(big.NewInt(10), big.NewInt(decimalScale), nil)
	decimalLimit  = new(big.Int).Exp(big.NewInt(10), big.NewInt(decimalPrecision), nil)
)

func convertNumber(t schema.DataType, num string) (any, error) {
	if t == schema.Double {
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return nil, fmt.Errorf("number %s is out of the double range", num)
		}
		return f, nil
	}
	if t == schema.BigInt {
		if n, err := strconv.ParseInt(num, 10, 64); err == nil {
			return n, nil
		}
	}

	// NOTE: a huge exponent such as 1e999999 makes big.Rat allocate a
	// number of that many digits before the range check rejects it.
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return nil, fmt.Errorf("invalid number %s", num)
	}
	if t == schema.BigInt {
		if !r.IsInt() || !r.Num().IsInt64() {
			return nil, fmt.Errorf("number %s is not an integer in the bigint range", num)
		}
		return r.Num().Int64(), nil
	}

	// Scale, then round half away from zero, as DuckDB rounds a cast to
	// DECIMAL(38,9).
	r.Mul(r, new(big.Rat).SetInt(decimalFactor))
	n, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		if r.Sign() < 0 {
			n.Sub(n, big.NewInt(1))
		} else {
			n.Add(n, big.NewInt(1))
		}
	}
	if new(big.Int).Abs(n).Cmp(decimalLimit) >= 0 {
		return nil, fmt.Errorf("number %s has more than %d digits", num, decimalPrecision)
	}
	return n, nil
}

// decimalText formats a decimal scaled by 10^9 as digits with nine
// fraction digits.
func decimalText(n *big.Int) string {
	s := new(big.Int).Abs(n).String()
	for len(s) <= decimalScale {
		s = "0" + s
	}
	out := s[:len(s)-decimalScale] + "." + s[len(s)-decimalScale:]
	if n.Sign() < 0 {
		out = "-" + out
	}
	return out
}
