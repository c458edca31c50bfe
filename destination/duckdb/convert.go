package duckdb

import (
	"database/sql/driver"
	"math/big"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// convert returns the appender value of one JSON value of a job file for a
// column of type t. JSON null becomes SQL NULL for every type.
func convert(t schema.DataType, v jsontext.Value) (driver.Value, error) {
	return sqlload.Convert(dialect{}, t, v)
}

// JSONValue returns the JSON text as a string: JSON columns are staged as
// VARCHAR, and DuckDB's cast from VARCHAR to JSON keeps the text.
func (dialect) JSONValue(v jsontext.Value) (any, error) { return string(v), nil }

// CheckText accepts every text, NUL characters included.
func (dialect) CheckText(string) error { return nil }

// DecimalValue returns n itself, which the appender stores as the
// unscaled value of a DECIMAL(38,9).
func (dialect) DecimalValue(n *big.Int) any { return n }
