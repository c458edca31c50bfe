package sqlload

import (
	"context"

	"github.com/restload/restload/schema"
)

// Querier runs the statements of one load inside its transaction.
// *sql.Conn and pgx.Tx fit it through a small adapter in each
// destination.
type Querier interface {
	// Exec runs a statement that returns no rows.
	Exec(ctx context.Context, query string, args ...any) error
	// QueryRow runs a query that returns at most one row.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Row is the result of Querier.QueryRow, as *sql.Row and pgx.Row have it.
type Row interface {
	Scan(dest ...any) error
}

// Dialect spells the parts of the shared statements that differ between
// databases.
type Dialect interface {
	// Param returns the placeholder of the nth argument of a statement,
	// counted from 1.
	Param(n int) string
	// JSONParam returns the placeholder of the nth argument when the
	// argument is JSON text stored into a JSON column.
	JSONParam(n int) string
	// Type returns the name of the column type that stores values of t.
	Type(t schema.DataType) (string, error)
	// CreateTempAs returns the statement that creates the temporary table
	// name, which lasts at least until the transaction ends, from the rows
	// of query, and the name to refer to the table by.
	CreateTempAs(name, query string) (stmt, ref string)
	// DropTemp returns the statement that drops the temporary table name
	// if it exists.
	DropTemp(name string) string
	// FirstPerKey returns a query of the rows of the table from, one per
	// distinct value of the key columns: the row that order, an ORDER BY
	// list, puts first. The rows of from are root rows with unique _rl_id
	// values.
	FirstPerKey(from string, key []string, order string) string
	// TableExists returns a query of one boolean: whether the schema
	// named by the first argument contains the table named by the second.
	TableExists() string
}
