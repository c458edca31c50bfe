package iceberg

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/restload/restload/schema"
)

// decimalScale is the scale of decimal columns: decimal(38,9), as in the
// other destinations.
const (
	decimalPrecision = 38
	decimalScale     = 9
)

// row is one table row by column name. Values have the Go types that
// Arrow uses for the column's Iceberg type: string, int64, float64,
// decimal128.Num, bool, arrow.Timestamp (microseconds, UTC),
// arrow.Date32 and []byte. A missing key or nil is NULL.
type row map[string]any

// icebergType returns the Iceberg type of a column type.
func icebergType(t schema.DataType) (ice.Type, error) {
	switch t {
	case schema.Text, schema.JSON:
		return ice.PrimitiveTypes.String, nil
	case schema.BigInt:
		return ice.PrimitiveTypes.Int64, nil
	case schema.Double:
		return ice.PrimitiveTypes.Float64, nil
	case schema.Decimal:
		return ice.DecimalTypeOf(decimalPrecision, decimalScale), nil
	case schema.Bool:
		return ice.PrimitiveTypes.Bool, nil
	case schema.Timestamp:
		return ice.PrimitiveTypes.TimestampTz, nil
	case schema.Date:
		return ice.PrimitiveTypes.Date, nil
	case schema.Binary:
		return ice.PrimitiveTypes.Binary, nil
	}
	return nil, fmt.Errorf("data type %q has no Iceberg type; use one of text, bigint, double, decimal, bool, timestamp, date, json, binary", t)
}

// icebergSchema returns the Iceberg schema of t. Every column is
// optional, so that columns added later and rows without a value fit.
func icebergSchema(t *schema.Table) (*ice.Schema, error) {
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("table %s has no columns in the package schema", t.Name)
	}
	fields := make([]ice.NestedField, len(t.Columns))
	for i, c := range t.Columns {
		typ, err := icebergType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s of table %s: %w", c.Name, t.Name, err)
		}
		fields[i] = ice.NestedField{ID: i + 1, Name: c.Name, Type: typ}
	}
	return ice.NewSchema(0, fields...), nil
}

// widens reports whether Iceberg allows changing a column of type from
// to type to: int to long, float to double, and a decimal to one of
// higher precision with the same scale.
func widens(from, to ice.Type) bool {
	switch from.(type) {
	case ice.Int32Type:
		_, ok := to.(ice.Int64Type)
		return ok
	case ice.Float32Type:
		_, ok := to.(ice.Float64Type)
		return ok
	case ice.DecimalType:
		f := from.(ice.DecimalType)
		d, ok := to.(ice.DecimalType)
		return ok && d.Scale() == f.Scale() && d.Precision() >= f.Precision()
	}
	return false
}

// parseValue converts the JSON value of a job file to the Go value of a
// column of type t, by the encoding that destination.Job describes.
func parseValue(t schema.DataType, raw json.RawMessage) (any, error) {
	if bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	switch t {
	case schema.JSON:
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, err
		}
		return b.String(), nil
	case schema.Bool:
		var v bool
		err := json.Unmarshal(raw, &v)
		return v, err
	case schema.BigInt:
		return parseBigInt(raw)
	case schema.Double:
		var v float64
		err := json.Unmarshal(raw, &v)
		return v, err
	case schema.Decimal:
		return parseDecimal(raw)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("want a JSON string for a %s column: %w", t, err)
	}
	switch t {
	case schema.Text:
		return s, nil
	case schema.Timestamp:
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, err
		}
		return arrow.Timestamp(ts.UTC().Truncate(time.Microsecond).UnixMicro()), nil
	case schema.Date:
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, err
		}
		return arrow.Date32FromTime(d), nil
	case schema.Binary:
		return base64.StdEncoding.DecodeString(s)
	}
	return nil, fmt.Errorf("data type %q is not supported", t)
}

// parseBigInt accepts integers written as JSON numbers, also in
// exponent form such as 4.0E2, as long as the value is whole and fits
// in 64 bits.
func parseBigInt(raw json.RawMessage) (int64, error) {
	text := string(raw)
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, fmt.Errorf("%s is not a whole number in the bigint range", text)
	}
	return r.Num().Int64(), nil
}

// parseDecimal scales a JSON number to 9 decimal places, rounding half
// away from zero, and checks that it fits 38 digits.
func parseDecimal(raw json.RawMessage) (decimal128.Num, error) {
	r, ok := new(big.Rat).SetString(string(raw))
	if !ok {
		return decimal128.Num{}, fmt.Errorf("%s is not a number", raw)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(decimalScale), nil)))
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(int64(r.Sign())))
	}
	n := decimal128.FromBigInt(q)
	if !n.FitsInPrecision(decimalPrecision) {
		return decimal128.Num{}, fmt.Errorf("%s does not fit decimal(38,9)", raw)
	}
	return n, nil
}

// buildRecord builds an Arrow record of rows in the column order of sc.
// The caller releases it.
func buildRecord(sc *arrow.Schema, rows []row) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for i, f := range sc.Fields() {
		fb := b.Field(i)
		for _, r := range rows {
			if err := appendValue(fb, r[f.Name]); err != nil {
				return nil, fmt.Errorf("column %s: %w", f.Name, err)
			}
		}
	}
	return b.NewRecordBatch(), nil
}

func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	ok := true
	switch b := b.(type) {
	case *array.StringBuilder:
		var s string
		s, ok = v.(string)
		b.Append(s)
	case *array.LargeStringBuilder:
		var s string
		s, ok = v.(string)
		b.Append(s)
	case *array.Int64Builder:
		var n int64
		n, ok = v.(int64)
		b.Append(n)
	case *array.Float64Builder:
		var f float64
		f, ok = v.(float64)
		b.Append(f)
	case *array.Decimal128Builder:
		var d decimal128.Num
		d, ok = v.(decimal128.Num)
		b.Append(d)
	case *array.BooleanBuilder:
		var x bool
		x, ok = v.(bool)
		b.Append(x)
	case *array.TimestampBuilder:
		var ts arrow.Timestamp
		ts, ok = v.(arrow.Timestamp)
		b.Append(ts)
	case *array.Date32Builder:
		var d arrow.Date32
		d, ok = v.(arrow.Date32)
		b.Append(d)
	case *array.BinaryBuilder:
		var x []byte
		x, ok = v.([]byte)
		b.Append(x)
	default:
		return fmt.Errorf("arrow type %s is not supported", b.Type())
	}
	if !ok {
		return fmt.Errorf("value of Go type %T does not fit arrow type %s", v, b.Type())
	}
	return nil
}

// readRows scans a table at a snapshot and returns its rows, with only
// the named columns when fields is not empty. A snapshot id of 0 reads
// nothing.
func readRows(ctx context.Context, tbl *table.Table, snapshotID int64, fields ...string) ([]row, error) {
	if snapshotID == 0 {
		return nil, nil
	}
	opts := []table.ScanOption{table.WithSnapshotID(snapshotID)}
	if len(fields) > 0 {
		opts = append(opts, table.WithSelectedFields(fields...))
	}
	_, batches, err := tbl.Scan(opts...).ToArrowRecords(ctx)
	if err != nil {
		return nil, err
	}
	var out []row
	for rec, err := range batches {
		if err != nil {
			return nil, err
		}
		rows, err := recordRows(rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// recordRows converts an Arrow record to rows.
func recordRows(rec arrow.RecordBatch) ([]row, error) {
	n := int(rec.NumRows())
	out := make([]row, n)
	for i := range out {
		out[i] = make(row, rec.NumCols())
	}
	for c, f := range rec.Schema().Fields() {
		col := rec.Column(c)
		for i := range n {
			if col.IsNull(i) {
				continue
			}
			v, err := arrowValue(col, i)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", f.Name, err)
			}
			out[i][f.Name] = v
		}
	}
	return out, nil
}

func arrowValue(a arrow.Array, i int) (any, error) {
	switch a := a.(type) {
	case *array.String:
		return a.Value(i), nil
	case *array.LargeString:
		return a.Value(i), nil
	case *array.Int64:
		return a.Value(i), nil
	case *array.Int32:
		return int64(a.Value(i)), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.Float32:
		return float64(a.Value(i)), nil
	case *array.Decimal128:
		return a.Value(i), nil
	case *array.Boolean:
		return a.Value(i), nil
	case *array.Timestamp:
		return a.Value(i), nil
	case *array.Date32:
		return a.Value(i), nil
	case *array.Binary:
		return bytes.Clone(a.Value(i)), nil
	case *array.LargeBinary:
		return bytes.Clone(a.Value(i)), nil
	}
	return nil, errors.New("arrow type " + a.DataType().String() + " is not supported")
}
