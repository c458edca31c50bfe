package duckdb

import (
	"fmt"

	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

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
		return fmt.Sprintf("DECIMAL(%d,%d)", sqlload.DecimalDigits, sqlload.DecimalScale), nil
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

// dialect spells the shared load statements for DuckDB.
type dialect struct{}

func (dialect) Param(int) string { return "?" }

func (dialect) JSONParam(int) string { return "?" }

func (dialect) Type(t schema.DataType) (string, error) { return sqlType(t) }

// CreateTempAs replaces a table of the same name, which an earlier load on
// the same connection may have left when it failed.
func (dialect) CreateTempAs(name, query string) (stmt, ref string) {
	ref = tempRef(name)
	return "CREATE OR REPLACE TEMP TABLE " + ref + " AS " + query, ref
}

func (dialect) DropTemp(name string) string { return "DROP TABLE IF EXISTS " + tempRef(name) }

// FirstPerKey numbers the rows of each key by order, keeps the _rl_id of
// the first and then selects the rows of those ids. Selecting only the
// id lets the window read just the id, key and order columns instead of
// every column, which matters for wide tables: DuckDB's window operator
// keeps the rows it sorts in its buffer pool. The rows are root rows,
// whose ids are unique.
func (dialect) FirstPerKey(from string, key []string, order string) string {
	id := sqlload.Ident(schema.ColumnID)
	return fmt.Sprintf("SELECT * FROM %s WHERE %s IN (SELECT %s FROM %s QUALIFY row_number() OVER (PARTITION BY %s ORDER BY %s) = 1)",
		from, id, id, from, sqlload.ColumnList("", key), order)
}

// TableExists counts the matching tables of the current database, the one
// that a Client opens.
func (dialect) TableExists() string {
	return `SELECT count(*) > 0 FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = ? AND table_name = ?`
}

// tempRef returns the qualified name of a temporary table.
func tempRef(name string) string { return "temp.main." + sqlload.Ident(name) }
