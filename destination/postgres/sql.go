package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

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
		return fmt.Sprintf("numeric(%d,%d)", sqlload.DecimalDigits, sqlload.DecimalScale), nil
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

// dialect spells the shared load statements for PostgreSQL.
type dialect struct{}

func (dialect) Param(n int) string { return "$" + strconv.Itoa(n) }

// JSONParam casts the text to json, the type of the columns that store
// state and schema documents.
func (dialect) JSONParam(n int) string { return "$" + strconv.Itoa(n) + "::json" }

func (dialect) Type(t schema.DataType) (string, error) { return sqlType(t) }

// CreateTempAs creates a table that the commit or rollback drops.
func (dialect) CreateTempAs(name, query string) (stmt, ref string) {
	return fmt.Sprintf("CREATE TEMP TABLE %s ON COMMIT DROP AS %s", sqlload.Ident(name), query), temp(name)
}

func (dialect) DropTemp(name string) string { return "DROP TABLE IF EXISTS " + temp(name) }

// FirstPerKey uses DISTINCT ON, which keeps the first row of each key in
// the ORDER BY, whose leading columns must be the key.
func (dialect) FirstPerKey(from string, key []string, order string) string {
	keys := sqlload.ColumnList("", key)
	return fmt.Sprintf("SELECT DISTINCT ON (%s) * FROM %s ORDER BY %s, %s", keys, from, keys, order)
}

// TableExists looks the table up in the catalog. Partitioned tables
// count as tables.
func (dialect) TableExists() string {
	return `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))`
}

// temp returns the quoted name of a temporary table.
func temp(name string) string { return "pg_temp." + sqlload.Ident(name) }

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
