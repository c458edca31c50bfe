package sqlload

import (
	"fmt"
	"strings"

	"github.com/restload/restload/schema"
)

// Ident quotes a name as an SQL identifier. DuckDB and PostgreSQL quote
// the same way: in double quotes, with inner double quotes doubled.
func Ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Qualified returns the quoted name of a table in a dataset schema.
func Qualified(dataset, table string) string {
	return Ident(dataset) + "." + Ident(table)
}

// ColumnList returns the quoted names joined by commas, each prefixed with
// prefix (a table alias and a dot, or nothing).
func ColumnList(prefix string, names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix)
		b.WriteString(Ident(n))
	}
	return b.String()
}

// KeyMatch returns the condition that the rows aliased a and b have
// equal values in the named columns.
func KeyMatch(a, b string, names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s.%s = %s.%s", a, Ident(n), b, Ident(n))
	}
	return strings.Join(parts, " AND ")
}

// String returns s as an SQL string literal. A backslash stays an
// ordinary character: DuckDB never treats it as an escape, and the
// PostgreSQL destination sets standard_conforming_strings in every load.
func String(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// MergeKey returns the merge key columns of t.
func MergeKey(t *schema.Table) []string {
	return t.ColumnsWhere(func(c *schema.Column) bool { return c.MergeKey })
}

// HardDeleteCondition returns the SQL condition on a row aliased alias of
// t that marks a hard delete: the hard delete column is true, for a bool
// column, or not NULL otherwise. It is "false" when t has no such column.
func HardDeleteCondition(t *schema.Table, alias string) string {
	for _, c := range t.Columns {
		if !c.HardDelete {
			continue
		}
		if c.Type == schema.Bool {
			return alias + "." + Ident(c.Name) + " IS TRUE"
		}
		return alias + "." + Ident(c.Name) + " IS NOT NULL"
	}
	return "false"
}
