package dataset

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/restload/restload/schema"
)

// arrowType maps a column type to its Arrow type. Timestamps are
// microseconds in UTC, decimals keep DuckDB's DECIMAL(38,9), and json is
// its text.
func arrowType(t schema.DataType) arrow.DataType {
	switch t {
	case schema.BigInt:
		return arrow.PrimitiveTypes.Int64
	case schema.Double:
		return arrow.PrimitiveTypes.Float64
	case schema.Decimal:
		return &arrow.Decimal128Type{Precision: 38, Scale: 9}
	case schema.Bool:
		return arrow.FixedWidthTypes.Boolean
	case schema.Timestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case schema.Date:
		return arrow.FixedWidthTypes.Date32
	case schema.Binary:
		return arrow.BinaryTypes.Binary
	}
	return arrow.BinaryTypes.String
}

// Records reads the table as Arrow records of at most batchSize rows
// each, in the order Rows uses. Column types come from the dataset's
// schema, so the table must be in it. The caller releases each record.
func (t *Table) Records(ctx context.Context, batchSize int) ([]arrow.RecordBatch, error) {
	if batchSize <= 0 {
		batchSize = 64 * 1024
	}
	var st *schema.Table
	if t.d.schema != nil {
		st = t.d.schema.Table(t.name)
	}
	if st == nil {
		return nil, fmt.Errorf("read %s.%s as Arrow: the table is not in the dataset's schema", t.d.name, t.name)
	}
	rows, err := t.selectAll(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(cols))
	types := make([]schema.DataType, len(cols))
	for i, c := range cols {
		types[i] = schema.Text
		if col := st.Column(c); col != nil {
			types[i] = col.Type
		}
		fields[i] = arrow.Field{Name: c, Type: arrowType(types[i]), Nullable: true}
	}
	sch := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	defer b.Release()

	var out []arrow.RecordBatch
	n := 0
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			release(out)
			return nil, fmt.Errorf("read %s.%s: %w", t.d.name, t.name, err)
		}
		for i, v := range vals {
			if err := appendValue(b.Field(i), v); err != nil {
				release(out)
				return nil, fmt.Errorf("read %s.%s column %s: %w", t.d.name, t.name, cols[i], err)
			}
		}
		if n++; n == batchSize {
			out = append(out, b.NewRecordBatch())
			n = 0
		}
	}
	if err := rows.Err(); err != nil {
		release(out)
		return nil, err
	}
	if n > 0 || len(out) == 0 {
		out = append(out, b.NewRecordBatch())
	}
	return out, nil
}

func release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// appendValue appends one scanned database value to an Arrow builder.
func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch bb := b.(type) {
	case *array.StringBuilder:
		switch x := v.(type) {
		case string:
			bb.Append(x)
		case []byte:
			bb.Append(string(x))
		default:
			bb.Append(fmt.Sprint(x))
		}
	case *array.Int64Builder:
		x, ok := v.(int64)
		if !ok {
			return fmt.Errorf("want an integer, got %T", v)
		}
		bb.Append(x)
	case *array.Float64Builder:
		x, ok := v.(float64)
		if !ok {
			return fmt.Errorf("want a double, got %T", v)
		}
		bb.Append(x)
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want a bool, got %T", v)
		}
		bb.Append(x)
	case *array.TimestampBuilder:
		x, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("want a timestamp, got %T", v)
		}
		bb.Append(arrow.Timestamp(x.UnixMicro()))
	case *array.Date32Builder:
		x, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("want a date, got %T", v)
		}
		bb.Append(arrow.Date32FromTime(x))
	case *array.BinaryBuilder:
		x, ok := v.([]byte)
		if !ok {
			return fmt.Errorf("want bytes, got %T", v)
		}
		bb.Append(x)
	case *array.Decimal128Builder:
		var scaled *big.Int
		switch x := v.(type) {
		case duckdb.Decimal:
			scaled = new(big.Int).Set(x.Value)
			for s := int(x.Scale); s < 9; s++ {
				scaled.Mul(scaled, big.NewInt(10))
			}
		case string:
			// PostgreSQL's driver returns numeric values as their text.
			r, ok := new(big.Rat).SetString(x)
			if !ok {
				return fmt.Errorf("want a decimal, got the text %q", x)
			}
			r.Mul(r, new(big.Rat).SetInt(big.NewInt(1_000_000_000)))
			if !r.IsInt() {
				return fmt.Errorf("decimal %s has more than 9 digits after the point", x)
			}
			scaled = r.Num()
		default:
			return fmt.Errorf("want a decimal, got %T", v)
		}
		bb.Append(decimal128.FromBigInt(scaled))
	default:
		return fmt.Errorf("unsupported Arrow builder %T", b)
	}
	return nil
}
