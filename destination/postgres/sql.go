package postgres

import (
	"fmt"
	"strings"

	"github.com/restload/restload/schema"
)

// decimalScale is the number of fraction digits of the decimal type,
// numeric(38,9). The DuckDB destination uses the same precision, so a
// value reads back the same from both.
const decimalScale = 9

// maxIdentifierLength is the longest name, in bytes, that PostgreSQL
// keeps: it silently cuts longer names to NAMEDATALEN-1 bytes, and
// NAMEDATALEN is 64 in every standard build.
const maxIdentifierLength = 63

// sqlType returns the PostgreSQL type that stores a column of type t.
func sqlType(t schema.DataType) (string, error) {
	switch t {
	case schema.Text:
		return "text", nil
	case schema.BigInt:
		return "bigint", nil
	case schema.Double:
		return "double precision", nil
	case schema.Decimal:
		return fmt.Sprintf("numeric(38,%d)", decimalScale), nil
	case schema.Bool:
		return "boolean", nil
	case schema.Timestamp:
		return "timestamptz", nil
	case schema.Date:
		return "date", nil
	case schema.JSON:
		return "jsonb", nil
	case schema.Binary:
		return "bytea", nil
	}
	return "", fmt.Errorf("unknown data type %q", t)
}

// ident quotes a name as a PostgreSQL identifier.
func ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// qualified returns the quoted name of a table in a dataset schema.
func qualified(dataset, table string) string {
	return ident(dataset) + "." + ident(table)
}

// temp returns the quoted name of a temporary table.
func temp(name string) string { return "pg_temp." + ident(name) }

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

// sqlString returns s as a SQL string literal. Every load sets
// standard_conforming_strings, so a backslash is an ordinary character.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// checkIdentifier rejects a name that PostgreSQL would cut or cannot
// store. kind is the kind of object, for the message.
func checkIdentifier(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%s name is empty", kind)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("%s name %q contains a NUL byte, which PostgreSQL cannot store", kind, name)
	case len(name) > maxIdentifierLength:
		return fmt.Errorf("%s name %q has %d bytes, more than the %d that PostgreSQL keeps; "+
			"normalize with the destination's capabilities (destination.CapabilitiesOf), which shorten longer names",
			kind, name, len(name), maxIdentifierLength)
	}
	return nil
}
