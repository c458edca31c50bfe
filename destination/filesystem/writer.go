package filesystem

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/restload/restload/schema"
)

// rowWriter writes rows of one data file.
type rowWriter interface {
	write(row []any) error
	// close flushes buffered rows; it does not close the file.
	close() error
}

func newRowWriter(format Format, w io.Writer, cols []column) rowWriter {
	switch format {
	case JSONL:
		return &jsonlWriter{w: bufio.NewWriter(w), cols: cols}
	case CSV:
		return newCSVWriter(w, cols)
	}
	return newParquetWriter(w, cols)
}

// timestampLayout writes timestamps with microseconds, which is what
// every format stores.
const timestampLayout = "2006-01-02T15:04:05.000000Z"

// textValue returns the text form of a non-NULL value in JSONL and CSV
// files, and whether the value is a string there.
func textValue(v any, typ schema.DataType) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), false
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), false
	case bool:
		return strconv.FormatBool(x), false
	case *big.Int:
		// A string, because readers parse JSON numbers with fractions as
		// doubles, which would round the value.
		return decimalText(x), true
	case time.Time:
		if typ == schema.Date {
			return x.Format(time.DateOnly), true
		}
		return x.UTC().Format(timestampLayout), true
	case []byte:
		return base64.StdEncoding.EncodeToString(x), true
	}
	panic(fmt.Sprintf("filesystem: unexpected value of type %T", v))
}

// jsonlWriter writes one JSON object per row. NULL values are left out;
// json values are written as strings that contain the JSON text.
type jsonlWriter struct {
	w    *bufio.Writer
	cols []column
	buf  []byte
}

func (j *jsonlWriter) write(row []any) error {
	b := append(j.buf[:0], '{')
	first := true
	for i, v := range row {
		if v == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, j.cols[i].name)
		b = append(b, ':')
		s, quoted := textValue(v, j.cols[i].typ)
		if quoted {
			b = appendJSONString(b, s)
		} else {
			b = append(b, s...)
		}
	}
	b = append(b, '}', '\n')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

func (j *jsonlWriter) close() error { return j.w.Flush() }

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// csvWriter writes a header line and one line per row. A NULL value is
// an empty field; every string value is quoted, so an empty string is
// "" and differs from NULL.
type csvWriter struct {
	w    *bufio.Writer
	cols []column
	err  error
}

func newCSVWriter(w io.Writer, cols []column) *csvWriter {
	c := &csvWriter{w: bufio.NewWriter(w), cols: cols}
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = csvQuote(col.name)
	}
	_, c.err = c.w.WriteString(strings.Join(names, ",") + "\n")
	return c
}

func (c *csvWriter) write(row []any) error {
	if c.err != nil {
		return c.err
	}
	var b strings.Builder
	for i, v := range row {
		if i > 0 {
			b.WriteByte(',')
		}
		if v == nil {
			continue
		}
		s, quoted := textValue(v, c.cols[i].typ)
		if quoted {
			s = csvQuote(s)
		}
		b.WriteString(s)
	}
	b.WriteByte('\n')
	_, err := c.w.WriteString(b.String())
	return err
}

func (c *csvWriter) close() error {
	if c.err != nil {
		return c.err
	}
	return c.w.Flush()
}

func csvQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// parquetWriter writes typed, optional Parquet columns.
type parquetWriter struct {
	w     *parquet.Writer
	leaf  []int // Parquet column index of each column, which sorts by name
	types []schema.DataType
	rows  []parquet.Row
}

func newParquetWriter(w io.Writer, cols []column) *parquetWriter {
	group := make(parquet.Group, len(cols))
	for _, c := range cols {
		group[c.name] = parquet.Optional(parquetNode(c.typ))
	}
	s := parquet.NewSchema("row", group)
	p := &parquetWriter{
		w:     parquet.NewWriter(w, s, parquet.Compression(&parquet.Zstd)),
		leaf:  make([]int, len(cols)),
		types: make([]schema.DataType, len(cols)),
	}
	for i, c := range cols {
		lc, _ := s.Lookup(c.name)
		p.leaf[i] = lc.ColumnIndex
		p.types[i] = c.typ
	}
	return p
}

func parquetNode(t schema.DataType) parquet.Node {
	switch t {
	case schema.BigInt:
		return parquet.Int(64)
	case schema.Double:
		return parquet.Leaf(parquet.DoubleType)
	case schema.Decimal:
		return parquet.Decimal(decimalScale, decimalPrecision, parquet.FixedLenByteArrayType(16))
	case schema.Bool:
		return parquet.Leaf(parquet.BooleanType)
	case schema.Timestamp:
		return parquet.Timestamp(parquet.Microsecond)
	case schema.Date:
		return parquet.Date()
	case schema.Binary:
		return parquet.Leaf(parquet.ByteArrayType)
	}
	return parquet.String() // text and json
}

const parquetBatch = 1024

func (p *parquetWriter) write(row []any) error {
	out := make(parquet.Row, len(row))
	for i, v := range row {
		out[p.leaf[i]] = parquetValue(v, p.types[i]).Level(0, definition(v), p.leaf[i])
	}
	p.rows = append(p.rows, out)
	if len(p.rows) >= parquetBatch {
		return p.flush()
	}
	return nil
}

func definition(v any) int {
	if v == nil {
		return 0
	}
	return 1
}

func (p *parquetWriter) flush() error {
	if _, err := p.w.WriteRows(p.rows); err != nil {
		return err
	}
	p.rows = p.rows[:0]
	return nil
}

func (p *parquetWriter) close() error {
	if err := p.flush(); err != nil {
		return err
	}
	return p.w.Close()
}

var epochDay = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

func parquetValue(v any, typ schema.DataType) parquet.Value {
	switch x := v.(type) {
	case nil:
		return parquet.NullValue()
	case string:
		return parquet.ByteArrayValue([]byte(x))
	case []byte:
		return parquet.ByteArrayValue(x)
	case int64:
		return parquet.Int64Value(x)
	case float64:
		return parquet.DoubleValue(x)
	case bool:
		return parquet.BooleanValue(x)
	case *big.Int:
		return parquet.FixedLenByteArrayValue(twosComplement16(x))
	case time.Time:
		if typ == schema.Date {
			return parquet.Int32Value(int32(x.Sub(epochDay) / (24 * time.Hour)))
		}
		return parquet.Int64Value(x.UnixMicro())
	}
	panic(fmt.Sprintf("filesystem: unexpected value of type %T", v))
}

// twosComplement16 returns n as a 16-byte big-endian two's complement.
func twosComplement16(n *big.Int) []byte {
	b := make([]byte, 16)
	if n.Sign() >= 0 {
		n.FillBytes(b)
		return b
	}
	m := new(big.Int).Lsh(big.NewInt(1), 128)
	m.Add(m, n)
	m.FillBytes(b)
	return b
}
