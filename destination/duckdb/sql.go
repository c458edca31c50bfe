package duckdb

import (
	"fmt"
	"strings"

	"github.com/restload/restload/schema"
)

// decimalScale is the number of fraction digits of the decimal type,
// DECIMAL(38,9).
const decimalScale = 9

// sqlType returns the DuckDB type that stores a column of type t.
func sqlType(t schema.DataType) (string, error) {
	switch t {
	case schema.Text:
		return "VARCHAR", nil
	case schema.BigInt:
		return "BIGINT", nil
	case schema.Double:
		return "DOUBLE", nil
	case schema.Decimal:
		return fmt.Sprintf("DECIMAL(38,%d)", decimalScale), nil
	case schema.Bool:
		return "BOOLEAN", nil
	case schema.Timestamp:
		return "TIMESTAMPTZ", nil
	case schema.Date:
		return "DATE", nil
	case schema.JSON:
		return "JSON", nil
	case schema.Binary:
		return "BLOB", nil
	}
	return "", fmt.Errorf("unknown data type %q", t)
}

// ident quotes a name as a DuckDB identifier.
func ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// qualified returns the quoted name of a table in a dataset schema.
func qualified(dataset, table string) string {
	return ident(dataset) + "." + ident(table)
}

// columnList returns the quoted names joined by commas, each prefixed with
// prefix (a table alias and a dot, or nothing).
func columnList(prefix string, names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix)
		b.WriteString(ident(n))
	}
	return b.String()
}

// keyMatch returns the condition that rows a and b have equal values in
// the named columns.
func keyMatch(a, b string, names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s.%s = %s.%s", a, ident(n), b, ident(n))
	}
	return strings.Join(parts, " AND ")
}

// sqlString returns s as a SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
